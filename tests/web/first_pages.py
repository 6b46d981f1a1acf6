"""Browser scenario: the first pages. The public portal, the accessibility statement, the 404
page, logging in (refused, then accepted), the catalogue's filters, a platform's week view
with a known booking and its neighbouring weeks (with and without JavaScript), CSRF
refusals, the session cookie's flags, logging out, and a company's scope.
"""

import datetime
import json
import re
import uuid

from common import (
    BASE,
    COMPANY,
    GROUP,
    TEACHER,
    api,
    audit,
    browser_page,
    check,
    finish,
    log_in,
    nav_links,
)


def known_booking():
    """A station booking of the teacher on a welding platform next week, through the API.
    Answers the platform id, its name and the ISO week of the booking."""
    status, tokens = api("POST", "/auth/login", body={"email": TEACHER[0], "password": TEACHER[1]})
    check(status == 200, f"API login: {status} {tokens}")
    token = tokens["access_token"]
    _, platforms = api("GET", "/platforms?domain=welding&limit=1", token)
    platform = platforms["items"][0]
    today = datetime.date.today()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    for offset in range(0, 5):
        day = monday + datetime.timedelta(days=offset)
        # Paris in winter or summer: the service reads the offset.
        for tz in ("+01:00", "+02:00"):
            body = {
                "platform_id": platform["id"],
                "stations": 2,
                "starts_at": f"{day}T09:00:00{tz}",
                "ends_at": f"{day}T11:00:00{tz}",
                "group_label": GROUP,
                "level": "CAP",
                "learners": [{"status": "school", "headcount": 2}],
            }
            status, booking = api("POST", "/bookings", token, body)
            if status == 201:
                week = day.isocalendar()
                return platform["id"], platform["name"], f"{week[0]}-W{week[1]:02d}"
    raise AssertionError(f"no booking could be made next week: {status} {booking}")


def main():
    platform_id, platform_name, week = known_booking()
    with browser_page() as (browser, context, page):

        print("portail public, sans compte")
        reply = page.goto(BASE + "/")
        check(reply.status == 200, f"/ answered {reply.status}")
        check(page.locator("html").get_attribute("lang") == "fr", "lang is not fr")
        check(page.get_by_role("link", name="Aller au contenu").count() == 1, "no skip link")
        check(nav_links(page) == ["Accueil"], f"anonymous navigation: {nav_links(page)}")
        check(page.get_by_role("heading", name="soudage", exact=True).count() == 1, "no welding group")
        check(page.get_by_role("link", name="Demander une prestation").count() >= 1, "no request link")
        audit(page, "portail")

        print("déclaration d'accessibilité, liée depuis le pied de page")
        page.get_by_role("link", name=re.compile("Accessibilité")).click()
        check(page.url == BASE + "/accessibilite", page.url)
        audit(page, "accessibilite")

        print("page inconnue : la page 404")
        reply = page.goto(BASE + "/nulle-part")
        check(reply.status == 404, f"unknown page answered {reply.status}")
        unknown_heading = page.locator("h1").inner_text()
        audit(page, "introuvable")

        print("le catalogue demande une connexion")
        page.goto(BASE + "/plateaux")
        check("/connexion?suite=%2Fplateaux" in page.url, page.url)
        audit(page, "connexion")

        print("connexion refusée : message en français, saisie gardée")
        page.get_by_label("Adresse e-mail").fill(TEACHER[0])
        page.get_by_label("Mot de passe").fill("pas le bon")
        page.get_by_role("button", name="Se connecter").click()
        check(page.get_by_role("alert").inner_text().startswith("Adresse e-mail ou mot de passe incorrect"), page.get_by_role("alert").inner_text())
        check(page.get_by_label("Adresse e-mail").input_value() == TEACHER[0], "e-mail not kept")

        print("un formulaire de connexion sans son jeton CSRF est refusé")
        reply = page.request.post(BASE + "/connexion", form={"email": TEACHER[0], "password": TEACHER[1]})
        check(reply.status == 403, f"login without token answered {reply.status}")
        check("plateaux_session" not in json.dumps(context.cookies()), "a session was opened without a token")

        print("connexion de l'enseignant, retour au catalogue")
        page.get_by_label("Mot de passe").fill(TEACHER[1])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(BASE + "/plateaux")
        check("Plateaux" in nav_links(page), f"teacher navigation: {nav_links(page)}")
        check(page.get_by_text("(enseignant)").count() == 1, "role not shown in French")
        cookie = [c for c in context.cookies() if c["name"] == "plateaux_session"]
        check(len(cookie) == 1 and cookie[0]["httpOnly"] and cookie[0]["sameSite"] == "Lax", f"session cookie: {cookie}")
        check("plateaux_session" not in page.evaluate("document.cookie"), "the session cookie is readable from JavaScript")
        audit(page, "catalogue")

        print("filtres du catalogue")
        total = page.locator(".cards > li").count()
        page.get_by_label("Domaine").select_option(label="soudage")
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_load_state()
        check("domaine=welding" in page.url, page.url)
        welding = page.locator(".cards > li").count()
        check(0 < welding < total, f"welding filter: {welding} of {total}")
        for meta in page.locator(".cards .meta").all_inner_texts():
            check(meta.startswith("soudage"), f"a non-welding platform listed: {meta}")
        check(page.get_by_label("Domaine").input_value() == "welding", "the chosen domain is not kept")
        page.get_by_label("Nom contient").fill("zzz-aucun-plateau")
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_load_state()
        check(page.locator(".cards > li").count() == 0, "a text matching nothing lists platforms")
        check(page.get_by_role("status").inner_text() == "Aucun plateau", page.get_by_role("status").inner_text())
        page.goto(BASE + "/plateaux")
        members = page.get_by_label("Membre").locator("option").all_inner_texts()
        check(len(members) > 2, f"members: {members}")
        page.get_by_label("Membre").select_option(index=1)
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_load_state()
        check(page.locator(".cards > li").count() < total, "the member filter filters nothing")

        print("vue de la semaine : la réservation connue, puis les semaines voisines")
        reply = page.goto(f"{BASE}/plateaux/{platform_id}?semaine={week}")
        check(reply.status == 200, f"platform page answered {reply.status}")
        table = page.locator("table.week")
        check(table.locator("caption").inner_text().startswith(platform_name), "caption")
        check(table.locator("thead th[scope=col]").count() >= 2, "no column headers")
        check(table.locator("tbody th[scope=row]").count() >= 1, "no row headers")
        check(table.get_by_text(GROUP).count() >= 1, "the known booking is not shown")
        caption = table.locator("caption").inner_text()
        check(re.search(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ \w+ \d{4}", caption), caption)
        audit(page, "plateau-semaine")
        page.get_by_role("link", name="Semaine suivante").click()
        page.wait_for_function("() => !document.querySelector('table.week caption').textContent.includes(%s)" % json.dumps(caption))
        check(table.get_by_text(GROUP).count() == 0, "the booking shows in the next week")
        page.get_by_role("link", name="Semaine précédente").click()
        page.wait_for_function("() => document.querySelector('table.week caption').textContent === %s" % json.dumps(caption))
        check(table.get_by_text(GROUP).count() >= 1, "the booking is gone back in its week")

        print("sans JavaScript, les liens de semaine marchent aussi")
        plain = browser.new_context(java_script_enabled=False, storage_state=context.storage_state())
        plain_page = plain.new_page()
        plain_page.goto(f"{BASE}/plateaux/{platform_id}?semaine={week}")
        plain_page.get_by_role("link", name="Semaine suivante").click()
        plain_page.wait_for_load_state()
        check("semaine=" in plain_page.url and week not in plain_page.url, plain_page.url)
        check(plain_page.locator("table.week").get_by_text(GROUP).count() == 0, "no-JS next week")
        plain.close()

        print("un formulaire posté sans son jeton CSRF est refusé, la session reste ouverte")
        reply = page.request.post(BASE + "/deconnexion", form={})
        check(reply.status == 403, f"logout without token answered {reply.status}")
        reply = page.request.post(BASE + "/deconnexion", form={"csrf": "0" * 64})
        check(reply.status == 403, f"logout with a wrong token answered {reply.status}")
        check(page.goto(BASE + "/plateaux").status == 200, "the session was closed by a forged form")

        print("identifiant de plateau inconnu : la même page 404")
        reply = page.goto(f"{BASE}/plateaux/{uuid.uuid4()}")
        check(reply.status == 404 and page.locator("h1").inner_text() == unknown_heading, "unknown platform")

        print("déconnexion : la session est fermée")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")
        check(nav_links(page) == ["Accueil"], f"navigation after logout: {nav_links(page)}")
        page.goto(BASE + "/plateaux")
        check("/connexion" in page.url, "the catalogue is still open after logout")

        print("une entreprise ne voit pas les réservations d'une autre organisation")
        log_in(page, COMPANY, then=f"/plateaux/{platform_id}?semaine={week}")
        check(page.get_by_text("(entreprise)").count() == 1, "company role")
        check(page.locator("table.week").count() == 1, "company week view")
        check(page.locator("table.week").get_by_text(GROUP).count() == 0, "a company sees another organisation's booking")
        reply = page.goto(f"{BASE}/plateaux/{uuid.uuid4()}")
        check(reply.status == 404 and page.locator("h1").inner_text() == unknown_heading, "company: unknown platform")
        audit(page, "introuvable-entreprise")

    finish()


if __name__ == "__main__":
    main()
