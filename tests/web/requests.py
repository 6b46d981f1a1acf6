"""Browser scenario: service requests. An SME without an account finds the public form from
the portal, is refused (an invalid SIRET, shown next to its field, what was typed kept),
then sends it twice at once, as a double click (one request filed) and reads what follows. Its
confirmation link arrives by e-mail; opened in the browser, it confirms the account with
the password the page asks for. The machining manager takes and quotes that request
through the API; the manager's page shows the quote and its editor; the SME logs in,
reads the quote and accepts it on its page; another company gets the 404 page for it.
axe-core on every page, at 1280 and 360 px.
"""

import datetime
import random
import re
import uuid

from common import (
    BASE,
    MACHINING_MANAGER,
    OTHER_COMPANY,
    api,
    audit,
    browser_page,
    check,
    finish,
    link_sent_to,
    log_in,
    send_twice,
    token_of,
)

SME_TITLE = "Usinage d'un prototype de bride (test navigateur)"
SME_PASSWORD = "une bride en aluminium, trois exemplaires"


def new_siret():
    """A SIRET no company of the demo has, with its Luhn key: the SME is a newcomer."""
    digits = [random.randrange(10) for _ in range(13)]
    for last in range(10):
        number = digits + [last]
        total = sum(d if i % 2 else (2 * d if d < 5 else 2 * d - 9) for i, d in enumerate(number))
        if total % 10 == 0:
            return "".join(map(str, number))


def take_and_quote(title):
    """The SME's request, found by its title, taken by the machining manager on a platform
    they run and quoted (1.5 h at 85 € and a 1 200 € flat, VAT 20 %), through the API.
    Answers its id."""
    manager = token_of(MACHINING_MANAGER)
    status, listed = api("GET", "/service-requests?limit=100", manager)
    check(status == 200, f"requests: {status} {listed}")
    mine = [r for r in listed["items"] if r["title"] == title]
    check(len(mine) == 1, f"the manager sees {len(mine)} requests titled {title}")
    request = mine[0]
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
    sme = (f"claire.{uuid.uuid4().hex[:8]}@forges-lot.fr", SME_PASSWORD)
    siret = new_siret()
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
        page.get_by_label("Votre adresse e-mail").fill(sme[0])
        page.get_by_label("Votre téléphone").fill("05 65 00 00 00")
        page.get_by_label("Objet de la demande").fill(SME_TITLE)
        page.get_by_label("Votre besoin").fill("Une bride en aluminium 6061, trois exemplaires.")
        page.get_by_label("usinage", exact=True).check()
        page.get_by_label("Plateau technique souhaité").select_option(label="Je ne sais pas")
        page.get_by_label("Budget indicatif, en euros hors taxes").fill("2 500")
        page.get_by_role("button", name="Envoyer la demande").click()
        page.wait_for_load_state()
        siret_field = page.get_by_label("SIRET de l'entreprise")
        check(siret_field.get_attribute("aria-invalid") == "true", "the SIRET is not marked invalid")
        refusal = page.locator("#siret-erreur")
        check(refusal.get_attribute("role") == "alert" and refusal.inner_text() != "", "no refusal next to the SIRET")
        check("siret-erreur" in siret_field.get_attribute("aria-describedby"), "the refusal is not tied to its field")
        check(page.get_by_label("Objet de la demande").input_value() == SME_TITLE, "the title is not kept")
        check(page.get_by_label("usinage", exact=True).is_checked(), "the domain is not kept")
        check(page.get_by_label("Budget indicatif, en euros hors taxes").input_value() == "2 500", "the budget is not kept")
        audit(page, "demande-refusee")

        print("corrigée, la demande part d'un double clic, une seule fois ; la page dit ce qui suit")
        siret_field.fill(f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
        replies = send_twice(page, page.get_by_role("button", name="Envoyer la demande"))
        check(replies == [(200, BASE + "/demandes/nouvelle/envoyee")] * 2, f"the two sendings: {replies}")
        check("confirmez l'adresse" in page.get_by_role("status").inner_text(), page.get_by_role("status").inner_text())
        check(page.get_by_role("heading", name="Et ensuite ?").count() == 1, "no next steps")
        audit(page, "demande-envoyee")

        print("le lien de confirmation arrive par e-mail ; le compte est confirmé avec son mot de passe")
        link = link_sent_to(sme[0], "account_confirmation", "/confirmation/")
        page.goto(BASE + link)
        check(page.locator("h1").inner_text() == "Confirmer votre compte", page.locator("h1").inner_text())
        check(sme[0] in page.locator("dl.facts").inner_text(), "the page names the account")
        audit(page, "demande-confirmation")
        page.get_by_label("Mot de passe du compte").fill(SME_PASSWORD)
        page.get_by_label("Le même mot de passe, une seconde fois").fill(SME_PASSWORD)
        page.get_by_role("button", name="Confirmer mon compte").click()
        page.wait_for_url(BASE + "/connexion?fait=confirmation")
        request_id = take_and_quote(SME_TITLE)
        check(len(api("GET", "/service-requests?limit=100", token_of(sme))[1]["items"]) == 1, "the SME has more than its one request")

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

        print("l'entreprise, son compte ouvert, lit le devis et l'accepte")
        log_in(page, sme, then="/demandes")
        check(page.url == BASE + "/demandes", page.url)
        page.get_by_role("link", name=SME_TITLE).click()
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
        check(page.get_by_role("link", name=SME_TITLE).count() == 0, "another company lists the request")
        reply = page.goto(f"{BASE}/demandes/{request_id}")
        check(reply.status == 404, f"another company's request answered {reply.status}")
        check(page.locator("h1").inner_text() == unknown_heading, "not the 404 page")
        check(page.get_by_text(SME_TITLE).count() == 0, "the title leaks")
        audit(page, "demande-introuvable")

    finish()


if __name__ == "__main__":
    main()
