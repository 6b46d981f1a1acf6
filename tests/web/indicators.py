"""Browser scenario: « Indicateurs ». The director opens the page from the navigation (the
current school year) and sees the demo's past term in non-zero figures (French numbers and percentages), the
occupancy chart named and described with the table of its figures, changes the school
year with the filter, and downloads the CSV export (its header row and a data row); the
steering committee reads the same page; a teacher has no link to it and gets the 404 page;
axe-core on each page at both widths.
"""

import datetime
import re
from zoneinfo import ZoneInfo

from common import (
    BASE,
    DIRECTOR,
    OBSERVER,
    SHOTS,
    TEACHER,
    audit,
    browser_page,
    check,
    finish,
    log_in,
    nav_links,
)

CSV_HEADER = "année scolaire;rubrique;élément;indicateur;valeur"


def figure(page, label):
    """The value of a figure in the overview table, by its label."""
    row = page.locator("table.figures tr").filter(has=page.get_by_role("rowheader", name=label, exact=True))
    return row.first.locator("td").inner_text()


def school_year(day):
    """`2026-2027` for a day from 1 September 2026 to 31 August 2027, as the service counts."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{first + 1}"


def history_years():
    """The school years the demo's past term lies in: it is the twelve weeks before the
    current one, so from early September to late November it straddles 1 September and
    its figures are split between the previous school year and this one. Answers the year
    holding its middle (six weeks back: at least half of its weeks, each with sessions and
    usage records), then the other one if there is one."""
    today = datetime.datetime.now(ZoneInfo("Europe/Paris")).date()
    monday = today - datetime.timedelta(days=today.weekday())
    first, middle, last = (monday - datetime.timedelta(weeks=w) for w in (12, 6, 1))
    years = [school_year(middle)] + [school_year(d) for d in (first, last)]
    return today, list(dict.fromkeys(years))


def count(text):
    return int(text.replace("\u00a0", ""))


def main():
    today, years = history_years()
    with browser_page() as (browser, context, page):

        print("le directeur ouvre les indicateurs depuis la navigation")
        log_in(page, DIRECTOR)
        check("Indicateurs" in nav_links(page), f"director navigation: {nav_links(page)}")
        page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Indicateurs").click()
        page.wait_for_load_state()
        check(page.url == BASE + "/indicateurs", page.url)
        heading = page.locator("h1").inner_text()
        check(heading == f"Indicateurs du campus, année scolaire {school_year(today)}", heading)
        year = years[0]
        if year != school_year(today):
            print(f"le trimestre passé de la démonstration est surtout en {year} : filtre")
            page.goto(f"{BASE}/indicateurs?annee={year}")
            check(page.locator("h1").inner_text().endswith(year), page.locator("h1").inner_text())

        print("des chiffres non nuls, écrits en français")
        sessions = figure(page, "Séances réservées")
        check(count(sessions) > 0, f"sessions: {sessions}")
        used = figure(page, "Heures utilisées")
        check(re.fullmatch(r"[\d\u00a0]+(,\d)?\u00a0h", used) and used != "0\u00a0h", f"hours used: {used!r}")
        occupancy = figure(page, "Taux d'occupation")
        check(re.fullmatch(r"\d+(,\d)?\u00a0%", occupancy) and occupancy != "0\u00a0%", f"occupancy: {occupancy!r}")
        apprentices = figure(page, "Apprentis")
        check(apprentices != "0\u00a0h", f"apprentices: {apprentices}")
        # The sessions left unreported (the last weeks) and the invoice (early in the term)
        # may lie on either side of 1 September: counted over the years of the term.
        unreported, invoiced = [figure(page, "Séances passées sans usage renseigné")], [figure(page, "Montant facturé (TTC)")]
        for other in years[1:]:
            other_page = context.new_page()
            other_page.goto(f"{BASE}/indicateurs?annee={other}")
            unreported.append(figure(other_page, "Séances passées sans usage renseigné"))
            invoiced.append(figure(other_page, "Montant facturé (TTC)"))
            other_page.close()
        check(sum(count(u) for u in unreported) > 0, f"unreported in {years}: {unreported}")
        for amount in invoiced:
            check(re.fullmatch(r"[\d\u00a0]+,\d\d\u00a0€", amount), f"invoiced: {amount!r}")
        check(any(amount != "0,00\u00a0€" for amount in invoiced), f"invoiced in {years}: {invoiced}")

        print("le graphique, nommé et décrit, et le tableau de ses chiffres")
        chart = page.get_by_role("img", name=re.compile("Taux d'occupation par mois"))
        check(chart.count() == 1, "no named chart")
        check(chart.locator("desc").count() == 1, "the chart has no description")
        months = page.get_by_role("table", name=re.compile("chiffres du graphique"))
        check(months.count() == 1, "no table of the chart's figures")
        cells = months.locator("tbody td").all_inner_texts()
        check(any(c.endswith("%") and c != "0\u00a0%" for c in cells), f"chart table: {cells[:12]}")
        audit(page, "indicateurs")
        # The README's picture (tests/web/screenshots/): the chart at a laptop's width.
        page.set_viewport_size({"width": 1024, "height": 900})
        page.locator("figure.chart").screenshot(path=str(SHOTS / "apercu-indicateurs.png"))
        page.set_viewport_size({"width": 1280, "height": 900})

        print("le filtre de l'année scolaire")
        first = int(year[:4])
        previous = f"{first - 1}-{first}"
        page.get_by_label("Année scolaire").select_option(previous)
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_load_state()
        check(f"annee={previous}" in page.url, page.url)
        check(page.locator("h1").inner_text().endswith(previous), page.locator("h1").inner_text())
        check(page.get_by_label("Année scolaire").input_value() == previous, "the chosen year is not kept")
        page.get_by_label("Année scolaire").select_option(year)
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_load_state()

        print("téléchargement du CSV")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Télécharger les indicateurs (CSV)").click()
        download = download_info.value
        check(download.suggested_filename == f"indicateurs-{year}.csv", download.suggested_filename)
        text = open(download.path(), encoding="utf-8-sig").read()
        lines = text.splitlines()
        check(lines[0] == CSV_HEADER, f"CSV header: {lines[0]!r}")
        row = next((l for l in lines if l.startswith(f"{year};campus;tout le campus;séances réservées;")), None)
        check(row is not None, f"no campus row in: {lines[:5]}")
        check(row.rsplit(";", 1)[1] == sessions.replace("\u00a0", ""), f"CSV {row!r} against the page's {sessions}")

        print("le comité de pilotage lit la même page")
        observer = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        observer_page = observer.new_page()
        log_in(observer_page, OBSERVER, then=f"/indicateurs?annee={year}")
        check(observer_page.url == f"{BASE}/indicateurs?annee={year}", observer_page.url)
        check("Indicateurs" in nav_links(observer_page), f"observer navigation: {nav_links(observer_page)}")
        check(figure(observer_page, "Séances réservées") == sessions, "the observer reads other figures")
        audit(observer_page, "indicateurs-copil")
        observer.close()

        print("un enseignant : pas de lien, et la page 404")
        teacher = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        teacher_page = teacher.new_page()
        log_in(teacher_page, TEACHER)
        check("Indicateurs" not in nav_links(teacher_page), f"teacher navigation: {nav_links(teacher_page)}")
        reply = teacher_page.goto(BASE + "/indicateurs")
        check(reply.status == 404, f"a teacher got {reply.status}")
        check(teacher_page.locator("h1").inner_text() == "Page introuvable", teacher_page.locator("h1").inner_text())
        reply = teacher_page.goto(BASE + f"/indicateurs/export.csv?annee={year}")
        check(reply.status == 404, f"a teacher's CSV download got {reply.status}")
        audit(teacher_page, "indicateurs-enseignant")
        teacher.close()

    finish()


main()
