"""Browser scenario: a platform manager follows up a past week on one screen.

The service's clock cannot be moved and the API books nothing in the past, so the week's
sessions are recorded after the fact through the API (`POST /past-sessions`, as a manager
does for a session that happened without a booking), with a first rough record. The
manager then opens the week's follow-up from the platform page, records what really
happened for the three sessions in one form (actual times, headcounts by status, an
absence, an incident), is refused next to the faulty field with everything kept, fixes it,
and finds the records through the API. Then a machine is put in maintenance. Each page is
audited (axe-core, 1280 and 360 px), and the form also works without JavaScript.
"""

import datetime

from common import (
    BASE,
    MACHINING_MANAGER,
    TEACHER,
    api,
    audit,
    browser_page,
    check,
    finish,
    log_in,
)

GROUP = "Groupe du suivi navigateur"


def token_of(who):
    status, tokens = api("POST", "/auth/login", body={"email": who[0], "password": who[1]})
    check(status == 200, f"API login: {status} {tokens}")
    return tokens["access_token"]


def paris(day, hm):
    """`day` at `hm` in the campus's time zone, as the service writes it back."""
    # Paris: +01:00 in winter, +02:00 from the last Sunday of March to that of October.
    def last_sunday(month):
        d = datetime.date(day.year, month, 31)
        return d - datetime.timedelta(days=(d.weekday() + 1) % 7)

    offset = "+02:00" if last_sunday(3) <= day < last_sunday(10) else "+01:00"
    return f"{day}T{hm}:00{offset}"


def past_week(token, platform_id):
    """Three sessions of last week recorded after the fact: Monday, Tuesday, Thursday."""
    today = datetime.date.today()
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    ids = []
    for offset in (0, 1, 3):
        day = monday + datetime.timedelta(days=offset)
        body = {
            "booking": {
                "platform_id": platform_id,
                "stations": 2,
                "starts_at": paris(day, "09:00"),
                "ends_at": paris(day, "11:00"),
                "group_label": f"{GROUP} {offset}",
                "learners": [{"status": "school", "headcount": 6}],
            },
            "usage": {
                "actual_start": paris(day, "09:00"),
                "actual_end": paris(day, "11:00"),
                "learners": [{"status": "school", "headcount": 6}],
            },
        }
        status, made = api("POST", "/past-sessions", token, body)
        check(status == 201, f"past session: {status} {made}")
        ids.append(made["booking"]["id"])
    week = monday.isocalendar()
    return ids, monday, f"{week[0]}-W{week[1]:02d}"


def main():
    token = token_of(MACHINING_MANAGER)
    _, me = api("GET", "/me", token)
    platform_id = me["managed_platform_ids"][0]
    _, platform = api("GET", f"/platforms/{platform_id}", token)
    ids, monday, week = past_week(token, platform_id)

    with browser_page() as (browser, context, page):

        print("le suivi de la semaine, depuis la page du plateau")
        log_in(page, MACHINING_MANAGER, then=f"/plateaux/{platform_id}?semaine={week}")
        page.get_by_role("link", name="Suivi de la semaine : usage et maintenance").click()
        page.wait_for_load_state()
        check(f"/plateaux/{platform_id}/suivi?semaine={week}" in page.url, page.url)
        check(page.locator("h1").inner_text() == "Suivi de la semaine", page.locator("h1").inner_text())
        check(platform["name"] in page.locator(".lead").inner_text(), "platform name")
        for session in ids:
            check(page.locator(f"#seance-{session}").count() == 1, f"session {session} not shown")
            check("saisie" in page.locator(f"#seance-{session} h4").inner_text(), "recorded state")
        print(f"page de suivi : {len(page.content().encode())} octets de HTML")
        audit(page, "suivi-semaine")

        print("toute la semaine dans un seul formulaire, une erreur à côté de son champ")
        first, second, third = (page.locator(f"#seance-{s}") for s in ids)
        first.get_by_label("Début réel").fill("09:10")
        first.get_by_label("Fin réelle").fill("08:30")
        first.get_by_label("scolaires").fill("5")
        first.get_by_label("apprentis").fill("3")
        second.get_by_label("Absence : personne n'est venu").check()
        third.get_by_label("Fin réelle").fill("11:30")
        third.get_by_label("Incident pendant la séance").check()
        third.get_by_label("Description de l'incident").fill("Casse d'un outil, sans blessure")
        page.get_by_role("button", name="Enregistrer l'usage de la semaine").click()
        page.wait_for_load_state()
        alert = page.locator("#refus-usage")
        check("rien n'a été enregistré" in alert.inner_text(), alert.inner_text())
        first = page.locator(f"#seance-{ids[0]}")
        end = first.get_by_label("Fin réelle")
        check(end.get_attribute("aria-invalid") == "true", "the faulty end is not marked")
        described = end.get_attribute("aria-describedby")
        check(page.locator(f"#{described}").inner_text().startswith("La fin doit suivre le début"), "error text")
        check(first.get_by_label("scolaires").input_value() == "5", "typed headcount lost")
        check(first.get_by_label("Début réel").input_value() == "09:10", "typed start lost")
        third = page.locator(f"#seance-{ids[2]}")
        check(third.get_by_label("Description de l'incident").input_value() == "Casse d'un outil, sans blessure", "typed note lost")
        check(page.locator(f"#seance-{ids[1]}").get_by_label("Absence : personne n'est venu").is_checked(), "choice lost")
        _, unchanged = api("GET", f"/bookings/{ids[0]}/usage", token)
        check(unchanged["learners"] == [{"status": "school", "headcount": 6}], f"stored despite refusal: {unchanged}")
        audit(page, "suivi-semaine-refus")

        print("corrigé, enregistré en une fois")
        first.get_by_label("Fin réelle").fill("10:50")
        page.get_by_role("button", name="Enregistrer l'usage de la semaine").click()
        page.wait_for_load_state()
        check("L'usage de 3 séances est enregistré." in page.get_by_role("status").inner_text(), page.get_by_role("status").inner_text())
        _, one = api("GET", f"/bookings/{ids[0]}/usage", token)
        check(one["actual_start"] == paris(monday, "09:10") and one["actual_end"] == paris(monday, "10:50"), f"times: {one}")
        check(sorted((l["status"], l["headcount"]) for l in one["learners"]) == [("apprentice", 3), ("school", 5)], f"learners: {one}")
        _, two = api("GET", f"/bookings/{ids[1]}/usage", token)
        check(two["no_show"] is True, f"absence: {two}")
        _, three = api("GET", f"/bookings/{ids[2]}/usage", token)
        check(three["incident"] is True and three["incident_note"] == "Casse d'un outil, sans blessure", f"incident: {three}")
        check("Tenue de 09:10 à 10:50 · 5 scolaires, 3 apprentis" in page.locator(f"#seance-{ids[0]}").inner_text(), "record shown")
        audit(page, "suivi-semaine-enregistre")

        print("sans JavaScript, le formulaire marche aussi")
        plain = browser.new_context(java_script_enabled=False, storage_state=context.storage_state())
        plain_page = plain.new_page()
        plain_page.goto(f"{BASE}/plateaux/{platform_id}/suivi?semaine={week}")
        plain_page.locator(f"#seance-{ids[1]}").get_by_label("Séance tenue").check()
        plain_page.locator(f"#seance-{ids[1]}").get_by_label("scolaires").fill("4")
        plain_page.get_by_role("button", name="Enregistrer l'usage de la semaine").click()
        plain_page.wait_for_load_state()
        check("L'usage d'une séance est enregistré." in plain_page.get_by_role("status").inner_text(), plain_page.get_by_role("status").inner_text())
        _, two = api("GET", f"/bookings/{ids[1]}/usage", token)
        check(two["no_show"] is False and two["learners"] == [{"status": "school", "headcount": 4}], f"no-JS correction: {two}")
        plain.close()

        print("une machine en maintenance la semaine prochaine")
        today = datetime.date.today()
        next_monday = today + datetime.timedelta(days=7 - today.weekday())
        next_week = next_monday.isocalendar()
        page.goto(f"{BASE}/plateaux/{platform_id}/suivi?semaine={next_week[0]}-W{next_week[1]:02d}")
        machine = page.get_by_label("Machine", exact=True).locator("option").nth(1).inner_text()
        page.get_by_label("Machine", exact=True).select_option(index=1)
        page.get_by_label("Du", exact=True).fill(f"{next_monday}T07:00")
        page.get_by_label("Au", exact=True).fill(f"{next_monday}T09:00")
        page.get_by_label("Motif", exact=True).fill("Vidange et graissage")
        page.get_by_role("button", name="Planifier la maintenance").click()
        page.wait_for_load_state()
        notice = page.get_by_role("status").inner_text()
        check(f"« {machine} » est en maintenance" in notice and "Aucune réservation n'a été annulée." in notice, notice)
        check(page.locator("ul.maintenance").get_by_text("Vidange et graissage").count() == 1, "window not listed")
        audit(page, "suivi-maintenance")

        print("un enseignant n'y a pas accès : la page 404")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")
        log_in(page, TEACHER)
        reply = page.goto(f"{BASE}/plateaux/{platform_id}/suivi?semaine={week}")
        check(reply.status == 404, f"teacher answered {reply.status}")

    finish()


if __name__ == "__main__":
    main()
