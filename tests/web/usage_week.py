"""Browser scenario: a platform manager records a week of usage on one screen.

The demo's past term leaves last week's class sessions of La Découverte's machining
platform unreported (booked, over, with no usage record). Its manager opens the week's
follow-up from the platform page, finds them « à saisir », records what really happened in
one form (actual times, headcounts by status, an absence, an incident), is refused next to
the faulty field with everything kept, fixes it and sends it twice at once, as a double click (recorded
once); the page then shows them « saisie », and the API reads the records and one fewer
unreported session each in the school year's indicators. A session is corrected without
JavaScript, then a machine is put in maintenance. Each page is audited (axe-core, 1280 and
360 px).
"""

import datetime
import re

from common import (
    BASE,
    DIRECTOR,
    MACHINING_MANAGER,
    TEACHER,
    api,
    audit,
    browser_page,
    check,
    finish,
    log_in,
    send_twice,
)

PLATFORM = "Plateau usinage de La Découverte"


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


def unreported(year):
    """The campus's sessions over with no usage record, in the school year's indicators (the
    director's)."""
    status, indicators = api("GET", f"/reports/indicators?school_year={year}", token_of(DIRECTOR))
    check(status == 200, f"indicators: {status} {indicators}")
    return indicators["campus"]["sessions_unreported"]


def main():
    token = token_of(MACHINING_MANAGER)
    _, me = api("GET", "/me", token)
    platform = None
    for platform_id in me["managed_platform_ids"]:
        _, candidate = api("GET", f"/platforms/{platform_id}", token)
        if candidate["name"] == PLATFORM:
            platform = candidate
    check(platform is not None, f"{PLATFORM} is not among the manager's platforms")
    platform_id = platform["id"]
    today = datetime.date.today()
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    iso = monday.isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    first_year = monday.year if monday.month >= 9 else monday.year - 1
    year = f"{first_year}-{first_year + 1}"
    unreported_before = unreported(year)

    with browser_page() as (browser, context, page):

        print("le suivi de la semaine passée, depuis la page du plateau")
        log_in(page, MACHINING_MANAGER, then=f"/plateaux/{platform_id}?semaine={week}")
        page.get_by_role("link", name="Suivi de la semaine : usage et maintenance").click()
        page.wait_for_load_state()
        check(f"/plateaux/{platform_id}/suivi?semaine={week}" in page.url, page.url)
        check(page.locator("h1").inner_text() == "Suivi de la semaine", page.locator("h1").inner_text())
        check(PLATFORM in page.locator(".lead").inner_text(), "platform name")
        todo = page.locator("li.session").filter(has=page.locator("h4 .status.todo"))
        ids = [i.removeprefix("seance-") for i in todo.evaluate_all("items => items.map(i => i.id)")]
        check(len(ids) >= 3, f"the demo leaves last week's sessions unreported: {ids}")
        ids = ids[:3]
        for session in ids:
            check(page.locator(f"#seance-{session} h4 .status").inner_text() == "à saisir", f"session {session} state")
            status, _ = api("GET", f"/bookings/{session}/usage", token)
            check(status == 404, f"session {session} already has a record: {status}")
        check(re.search(r"\d+ séances à saisir\.", page.locator("main").inner_text()), "the count to record")
        print(f"page de suivi : {len(page.content().encode())} octets de HTML")
        audit(page, "suivi-semaine")

        print("toute la semaine dans un seul formulaire, une erreur à côté de son champ")
        first, second, third = (page.locator(f"#seance-{s}") for s in ids)
        starts = [page.locator(f"#debut-{s}").input_value() for s in ids]
        days = [monday + datetime.timedelta(days=n) for n in range(7)]
        first.get_by_label("Séance tenue").check()
        first.get_by_label("Début réel").fill("08:10")
        first.get_by_label("Fin réelle").fill("07:30")
        first.get_by_label("scolaires").fill("5")
        first.get_by_label("apprentis").fill("3")
        second.get_by_label("Absence : personne n'est venu").check()
        third.get_by_label("Séance tenue").check()
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
        check(first.get_by_label("Début réel").input_value() == "08:10", "typed start lost")
        third = page.locator(f"#seance-{ids[2]}")
        check(third.get_by_label("Description de l'incident").input_value() == "Casse d'un outil, sans blessure", "typed note lost")
        check(page.locator(f"#seance-{ids[1]}").get_by_label("Absence : personne n'est venu").is_checked(), "choice lost")
        for session in ids:
            status, _ = api("GET", f"/bookings/{session}/usage", token)
            check(status == 404, f"stored despite refusal: {session} {status}")
        audit(page, "suivi-semaine-refus")

        print("corrigé, envoyé deux fois d'un double clic : enregistré une fois")
        first.get_by_label("Fin réelle").fill("11:50")
        replies = send_twice(page, page.get_by_role("button", name="Enregistrer l'usage de la semaine"))
        check(replies[0] == replies[1] and replies[0][1].endswith("&enregistrees=3"), f"the two sendings: {replies}")
        notice = page.get_by_role("status").inner_text()
        check("L'usage de 3 séances est enregistré." in notice, notice)
        _, one = api("GET", f"/bookings/{ids[0]}/usage", token)
        day_of = lambda session: next(d for d in days if d.isoformat() in api("GET", f"/bookings/{session}", token)[1]["starts_at"])
        check(one["actual_start"] == paris(day_of(ids[0]), "08:10") and one["actual_end"] == paris(day_of(ids[0]), "11:50"), f"times: {one}")
        check(sorted((l["status"], l["headcount"]) for l in one["learners"]) == [("apprentice", 3), ("school", 5)], f"learners: {one}")
        _, two = api("GET", f"/bookings/{ids[1]}/usage", token)
        check(two["no_show"] is True, f"absence: {two}")
        _, three = api("GET", f"/bookings/{ids[2]}/usage", token)
        check(three["incident"] is True and three["incident_note"] == "Casse d'un outil, sans blessure", f"incident: {three}")
        check(three["actual_start"] == paris(day_of(ids[2]), starts[2]), f"the planned start kept: {three}")
        for session in ids:
            check(page.locator(f"#seance-{session} h4 .status").inner_text() == "saisie", f"session {session} not shown recorded")
        check("Tenue de 08:10 à 11:50 · 5 scolaires, 3 apprentis" in page.locator(f"#seance-{ids[0]}").inner_text(), "record shown")
        after = unreported(year)
        check(after == unreported_before - 3, f"indicators: {unreported_before} unreported before, {after} after")
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
