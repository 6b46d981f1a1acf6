"""Browser scenario: service requests. An SME without an account finds the public form from
the portal, is refused (an invalid SIRET, shown next to its field, what was typed kept),
then sends it and reads what follows. A request of the demo company is taken and quoted by
the machining manager through the API; the manager's page shows the quote and its editor;
the company reads the quote and accepts it on its page; another company gets the 404 page
for it. axe-core on every page, at 1280 and 360 px.
"""

import datetime
import re
import uuid

from common import (
    BASE,
    COMPANY,
    MACHINING_MANAGER,
    OTHER_COMPANY,
    api,
    audit,
    browser_page,
    check,
    finish,
    log_in,
)

TITLE = "Usinage d'un prototype de bride (test navigateur)"
SME_TITLE = "Essais de traction sur soudures (test navigateur)"


def token_of(who):
    status, tokens = api("POST", "/auth/login", body={"email": who[0], "password": who[1]})
    check(status == 200, f"API login of {who[0]}: {status} {tokens}")
    return tokens["access_token"]


def quoted_request():
    """A request of the demo company, taken by the machining manager on a platform they run
    and quoted (1.5 h at 85 € and a 1 200 € flat, VAT 20 %), through the API. Answers its id."""
    company = token_of(COMPANY)
    status, request = api("POST", "/service-requests", company, {
        "title": TITLE,
        "description": "Une bride en aluminium 6061, trois exemplaires.",
        "domains": ["machining"],
    })
    check(status == 201, f"request: {status} {request}")
    manager = token_of(MACHINING_MANAGER)
    _, platforms = api("GET", "/platforms?domain=machining&limit=100", manager)
    for platform in platforms["items"]:
        status, _ = api("POST", f"/service-requests/{request['id']}/transitions", manager,
                        {"action": "take", "platform_id": platform["id"]})
        if status == 200:
            break
    check(status == 200, "the machining manager could take the request on no platform")
    valid_until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    status, quote = api("POST", f"/service-requests/{request['id']}/quotes", manager, {
        "valid_until": valid_until,
        "lines": [
            {"label": "Usinage 5 axes", "quantity": 1.5, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000},
            {"label": "Programmation FAO", "quantity": 1, "unit": "flat", "unit_price_cents": 120000, "vat_rate_bp": 2000},
        ],
    })
    check(status == 201 and quote["total_incl_vat_cents"] == 159300, f"quote: {status} {quote}")
    return request["id"]


def main():
    request_id = quoted_request()
    with browser_page() as (browser, context, page):

        print("le portail mène au formulaire public")
        page.goto(BASE + "/")
        page.get_by_role("link", name="Demander une prestation").first.click()
        page.wait_for_load_state()
        check(page.url == BASE + "/demandes/nouvelle", page.url)
        audit(page, "demande-formulaire")

        print("un SIRET invalide est refusé à côté du champ, la saisie est gardée")
        page.get_by_label("Nom de l'entreprise").fill("Forges de la Vallée du Lot")
        page.get_by_label("SIRET de l'entreprise").fill("40483304800023")
        page.get_by_label("Votre nom").fill("Claire Vayssié")
        page.get_by_label("Votre adresse e-mail").fill(f"claire.{uuid.uuid4().hex[:8]}@forges-lot.fr")
        page.get_by_label("Votre téléphone").fill("05 65 00 00 00")
        page.get_by_label("Objet de la demande").fill(SME_TITLE)
        page.get_by_label("Votre besoin").fill("Vingt éprouvettes soudées TIG, rapport d'essai.")
        page.get_by_label("soudage", exact=True).check()
        page.get_by_label("Plateau technique souhaité").select_option(label="Je ne sais pas")
        page.get_by_label("Budget indicatif, en euros hors taxes").fill("2 500")
        page.get_by_role("button", name="Envoyer la demande").click()
        page.wait_for_load_state()
        siret = page.get_by_label("SIRET de l'entreprise")
        check(siret.get_attribute("aria-invalid") == "true", "the SIRET is not marked invalid")
        refusal = page.locator("#siret-erreur")
        check(refusal.get_attribute("role") == "alert" and refusal.inner_text() != "", "no refusal next to the SIRET")
        check("siret-erreur" in siret.get_attribute("aria-describedby"), "the refusal is not tied to its field")
        check(page.get_by_label("Objet de la demande").input_value() == SME_TITLE, "the title is not kept")
        check(page.get_by_label("soudage", exact=True).is_checked(), "the domain is not kept")
        check(page.get_by_label("Budget indicatif, en euros hors taxes").input_value() == "2 500", "the budget is not kept")
        audit(page, "demande-refusee")

        print("corrigée, la demande part ; la page dit ce qui suit")
        siret.fill("404 833 048 00022")
        page.get_by_role("button", name="Envoyer la demande").click()
        page.wait_for_url(BASE + "/demandes/nouvelle/envoyee")
        check("confirmez l'adresse" in page.get_by_role("status").inner_text(), page.get_by_role("status").inner_text())
        check(page.get_by_role("heading", name="Et ensuite ?").count() == 1, "no next steps")
        audit(page, "demande-envoyee")

        print("le responsable de plateau voit le devis et son éditeur")
        log_in(page, MACHINING_MANAGER, then=f"/demandes/{request_id}")
        check(page.url == f"{BASE}/demandes/{request_id}", page.url)
        check("devisée" in page.locator(".state").inner_text(), page.locator(".state").inner_text())
        check("1\u00a0593,00\u00a0€" in page.locator("main").inner_text(), "the total including VAT")
        check(page.get_by_role("button", name="Émettre la version 2").count() == 1, "no revision editor")
        audit(page, "demande-responsable")
        print("avec htmx, les totaux du brouillon suivent la saisie, sans rien émettre")
        page.get_by_label("Ligne 1 : quantité").fill("2")
        page.get_by_label("Ligne 1 : quantité").press("Tab")
        page.wait_for_function("() => document.querySelector('#totaux').textContent.includes('1\u00a0644,00')")
        check(page.get_by_role("heading", name="Devis, version 2").count() == 0, "computing the totals issued a quote")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")

        print("l'entreprise lit le devis et l'accepte")
        log_in(page, COMPANY, then="/demandes")
        check(page.url == BASE + "/demandes", page.url)
        page.get_by_role("link", name=TITLE).click()
        page.wait_for_load_state()
        check(page.url == f"{BASE}/demandes/{request_id}", page.url)
        table = page.get_by_role("table", name="Lignes du devis, version 1")
        check(table.get_by_role("row").count() == 3, "two lines and a header")
        check("127,50\u00a0€" in table.inner_text(), "the first line's amount")
        check(page.get_by_role("button", name="Émettre la version 2").count() == 0, "the company sees the editor")
        audit(page, "demande-entreprise")
        page.get_by_role("button", name=re.compile(r"^Accepter le devis \(version 1, 1.593,00.€ TTC\)$")).click()
        page.wait_for_load_state()
        check("fait=accept" in page.url, page.url)
        check(page.get_by_role("status").inner_text().startswith("C'est enregistré"), page.get_by_role("status").inner_text())
        check("acceptée" in page.locator(".state").inner_text(), page.locator(".state").inner_text())
        check(page.get_by_role("heading", name="Devis, version 1 : acceptée").count() == 1, "the quote is not marked accepted")
        audit(page, "demande-acceptee")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")

        print("une autre entreprise : la même page 404, rien dans sa liste")
        page.goto(BASE + "/nulle-part")
        unknown_heading = page.locator("h1").inner_text()
        log_in(page, OTHER_COMPANY, then="/demandes")
        check(page.get_by_role("link", name=TITLE).count() == 0, "another company lists the request")
        reply = page.goto(f"{BASE}/demandes/{request_id}")
        check(reply.status == 404, f"another company's request answered {reply.status}")
        check(page.locator("h1").inner_text() == unknown_heading, "not the 404 page")
        check(page.get_by_text(TITLE).count() == 0, "the title leaks")
        audit(page, "demande-introuvable")

    finish()


if __name__ == "__main__":
    main()
