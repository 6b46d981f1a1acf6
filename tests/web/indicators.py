"""Browser scenario: « Indicateurs ». The director opens the page from the navigation and
sees the demo's past term in non-zero figures (French numbers and percentages), the
occupancy chart named and described with the table of its figures, changes the school
year with the filter, and downloads the CSV export (its header row and a data row); the
steering committee reads the same page; a teacher has no link to it and gets the 404 page;
axe-core on each page at both widths.
"""

import re

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


def main():
    with browser_page() as (browser, context, page):

        print("le directeur ouvre les indicateurs depuis la navigation")
        log_in(page, DIRECTOR)
        check("Indicateurs" in nav_links(page), f"director navigation: {nav_links(page)}")
        page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Indicateurs").click()
        page.wait_for_load_state()
        check(page.url == BASE + "/indicateurs", page.url)
        heading = page.locator("h1").inner_text()
        check(heading.startswith("Indicateurs du campus, année scolaire "), heading)
        year = heading.rsplit(" ", 1)[1]
        check(re.fullmatch(r"\d{4}-\d{4}", year), heading)

        print("des chiffres non nuls, écrits en français")
        sessions = figure(page, "Séances réservées")
        check(int(sessions.replace("\u00a0", "")) > 0, f"sessions: {sessions}")
        used = figure(page, "Heures utilisées")
        check(re.fullmatch(r"[\d\u00a0]+(,\d)?\u00a0h", used) and used != "0\u00a0h", f"hours used: {used!r}")
        occupancy = figure(page, "Taux d'occupation")
        check(re.fullmatch(r"\d+(,\d)?\u00a0%", occupancy) and occupancy != "0\u00a0%", f"occupancy: {occupancy!r}")
        unreported = figure(page, "Séances passées sans usage renseigné")
        check(int(unreported) > 0, f"unreported: {unreported}")
        apprentices = figure(page, "Apprentis")
        check(apprentices != "0\u00a0h", f"apprentices: {apprentices}")
        invoiced = figure(page, "Montant facturé (TTC)")
        check(re.fullmatch(r"[\d\u00a0]+,\d\d\u00a0€", invoiced) and invoiced != "0,00\u00a0€", f"invoiced: {invoiced!r}")

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
        log_in(observer_page, OBSERVER, then="/indicateurs")
        check(observer_page.url == BASE + "/indicateurs", observer_page.url)
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
