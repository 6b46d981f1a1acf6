"""Browser scenario: the booking form. A teacher opens their own welding platform, asks for
a weekly session over a term that crosses a closure of the platform (created through the
API by the director), sees every skipped date listed before confirming (and nothing booked yet),
confirms, reads the series page and one booking's page; then a teacher of another member
books a platform their lycée does not own with a double click (booked once, pending, and
the page says so), and its manager approves it on « Validations ». axe-core on every page.
"""

import datetime
import re
from zoneinfo import ZoneInfo

from common import (
    BASE,
    DIRECTOR,
    FIGEAC_TEACHER,
    GROUP,
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

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
CLOSURE = "Fermeture du test navigateur"


def french(day):
    """`mardi 2 mars 2027`, as the pages write it."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def token(who):
    status, tokens = api("POST", "/auth/login", body={"email": who[0], "password": who[1]})
    check(status == 200, f"API login of {who[0]}: {status} {tokens}")
    return tokens["access_token"]


def local(day, hour=0):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).isoformat()


def main():
    today = datetime.date.today()
    first = today + datetime.timedelta(days=7)
    while first.weekday() != 1:
        first += datetime.timedelta(days=1)
    closed = first + datetime.timedelta(days=14)
    last = first + datetime.timedelta(days=35)

    # The director closes the campus for a few days of the term.
    director = token(DIRECTOR)
    _, platforms = api("GET", "/platforms?domain=welding&limit=100", director)
    welding = [p for p in platforms["items"] if p["name"] == "Atelier soudage Alexis Monteil"]
    check(len(welding) == 1, f"welding platforms: {platforms}")
    status, closure = api("POST", "/closures", director, {
        "scope": "platform", "scope_id": welding[0]["id"], "name": CLOSURE,
        "starts_at": local(closed - datetime.timedelta(days=1)),
        "ends_at": local(closed + datetime.timedelta(days=3)),
    })
    check(status == 201, f"closure: {status} {closure}")
    teacher = token(TEACHER)

    with browser_page() as (browser, context, page):

        print("l'enseignant ouvre son atelier de soudage et clique sur « Réserver »")
        log_in(page, TEACHER)
        page.goto(BASE + "/plateaux?domaine=welding")
        page.get_by_role("link", name="Atelier soudage Alexis Monteil").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Réserver", exact=True).click()
        page.wait_for_load_state()
        check("/reservations/nouvelle?plateau=" in page.url, page.url)
        check(page.locator("h1").inner_text() == "Réserver : Atelier soudage Alexis Monteil", page.locator("h1").inner_text())
        audit(page, "reservation-formulaire")

        print("une séance chaque semaine sur une période qui traverse une fermeture")
        page.get_by_label("Nombre de postes").fill("6")
        page.get_by_label("Groupe", exact=True).fill(GROUP)
        page.get_by_label("Niveau ou diplôme").fill("Bac Pro TCI")
        page.get_by_label("scolaires").fill("4")
        page.get_by_label("apprentis").fill("2")
        page.get_by_label("Objet de la séance").fill("Soudage TIG, travaux pratiques")
        page.get_by_label("Date", exact=True).fill(first.isoformat())
        page.get_by_label("Début").fill("08:00")
        page.get_by_label("Fin", exact=True).fill("10:00")
        page.get_by_label("Chaque semaine").check()
        page.get_by_label("Jusqu'au (pour une série)").fill(last.isoformat())
        page.get_by_role("button", name="Réserver").click()
        page.wait_for_load_state()

        print("avant de confirmer : chaque date sautée et pourquoi, rien n'est encore réservé")
        preview = page.locator("#apercu")
        check(preview.count() == 1, "no preview")
        summary = preview.get_by_role("status").inner_text()
        check(summary.startswith("5 séances seront réservées ; 1 date sautée"), summary)
        skipped = preview.locator("ul.dates").first.inner_text()
        check(french(closed) in skipped and "fermeture" in skipped and CLOSURE in skipped, skipped)
        check(page.get_by_label("Groupe", exact=True).input_value() == GROUP, "the form keeps what was typed")
        _, mine = api("GET", "/bookings?booked_by=me", teacher)
        check(not [b for b in mine["items"] if b["group_label"] == GROUP], "something was booked before confirming")
        audit(page, "reservation-apercu")

        print("« Confirmer » crée la série ; sa page liste les séances et la date sautée")
        page.get_by_role("button", name="Confirmer").click()
        page.wait_for_url(re.compile(r".*/series/[0-9a-f-]+\?fait=creee$"))
        check("La série est enregistrée" in page.get_by_role("status").inner_text(), page.get_by_role("status").inner_text())
        check(page.get_by_role("heading", name="Séances (5)").count() == 1, "five sessions")
        check(page.get_by_role("heading", name="Dates sautées (1)").count() == 1, "one date skipped")
        check(french(closed) in page.locator("main").inner_text(), "the skipped date on the series page")
        _, mine = api("GET", "/bookings?booked_by=me", teacher)
        booked = [b for b in mine["items"] if b["group_label"] == GROUP]
        check(len(booked) == 5 and all(b["status"] == "confirmed" for b in booked), f"booked: {booked}")
        audit(page, "serie")

        print("la page d'une séance de la série")
        page.get_by_role("link", name=re.compile("^" + french(first))).click()
        page.wait_for_load_state()
        check(page.get_by_text("confirmée", exact=True).count() >= 1, "status in French")
        check(page.get_by_role("link", name="Toutes les dates de la série").count() == 1, "link to the series")
        audit(page, "reservation")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")

        print("une enseignante d'un autre membre réserve un plateau qui n'est pas à son lycée")
        log_in(page, FIGEAC_TEACHER)
        page.goto(BASE + "/reservations")
        page.get_by_role("link", name="Réserver", exact=True).click()
        page.wait_for_load_state()
        audit(page, "reservation-choix")
        page.get_by_label("Plateau").select_option(label="Plateau usinage de La Découverte")
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_load_state()
        wednesday = first + datetime.timedelta(days=1)
        page.get_by_label("Nombre de postes").fill("8")
        page.get_by_label("Groupe", exact=True).fill(GROUP + " (Figeac)")
        page.get_by_label("scolaires").fill("8")
        page.get_by_label("Date", exact=True).fill(wednesday.isoformat())
        page.get_by_label("Début").fill("09:00")
        page.get_by_label("Fin", exact=True).fill("11:00")
        # Sent twice at once (a double click): it books once, and both answers lead to it.
        replies = send_twice(page, page.get_by_role("button", name="Réserver"))
        check(replies[0] == replies[1] and replies[0][0] == 200, f"the two sendings: {replies}")
        check(re.fullmatch(r".*/reservations/[0-9a-f-]+\?fait=creee", page.url), page.url)
        _, figeac = api("GET", "/bookings?booked_by=me", token(FIGEAC_TEACHER))
        twice = [b for b in figeac["items"] if b["group_label"] == GROUP + " (Figeac)"]
        check(len(twice) == 1, f"a double click booked {len(twice)} times")
        check(twice[0]["id"] in page.url, f"{page.url} is not the booking {twice[0]['id']}")
        notice = page.get_by_role("status").inner_text()
        check("en attente" in notice, notice)
        check(page.get_by_text("en attente", exact=True).count() >= 1, "pending status in French")
        audit(page, "reservation-en-attente")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")

        print("le responsable du plateau l'approuve dans « Validations »")
        log_in(page, MACHINING_MANAGER)
        page.goto(BASE + "/validations")
        line = page.locator("li.card", has_text=GROUP + " (Figeac)")
        check(line.count() == 1, "the pending booking is not listed")
        audit(page, "validations")
        line.get_by_role("button", name="Approuver").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('li.card')].some(l => l.textContent.includes('Réservation confirmée.'))"
        )
        status_code, figeac = api("GET", "/bookings?booked_by=me", token(FIGEAC_TEACHER))
        check(status_code == 200, f"Figeac's bookings: {status_code}")
        mine = [b for b in figeac["items"] if b["group_label"] == GROUP + " (Figeac)"]
        check(len(mine) == 1 and mine[0]["status"] == "confirmed", f"after approval: {mine}")

    finish()


if __name__ == "__main__":
    main()
