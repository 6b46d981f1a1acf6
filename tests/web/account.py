"""Browser scenario: the account pages. A forgotten password from the login page to the new
password (the e-mail's code, read from the e-mail the service wrote once the administrators'
outbox says it is sent, typed wrong then right on the code's page, which leads to the link's
page), logging in with it, « Mon compte » listing this browser's session and
closing another one, an e-mail preference changed and read back through the API, and an
invited account confirmed through its link (nothing confirmed by opening it).
"""

import re

from common import (
    BASE,
    ADMIN,
    FIGEAC_TEACHER,
    api,
    audit,
    browser_page,
    check,
    finish,
    link_sent_to,
    log_in,
    nav_links,
    token_of,
)

NEW_PASSWORD = "une phrase de passe toute neuve"


def main():
    with browser_page() as (browser, context, page):

        print("mot de passe oublié, depuis la page de connexion")
        page.goto(BASE + "/connexion")
        page.get_by_role("link", name="Mot de passe oublié ?").click()
        page.wait_for_url(BASE + "/mot-de-passe-oublie")
        audit(page, "mot-de-passe-oublie")
        page.get_by_label("Adresse e-mail").fill(FIGEAC_TEACHER[0])
        page.get_by_role("button", name="Recevoir un lien").click()
        page.wait_for_url(BASE + "/mot-de-passe-oublie?fait=demande")
        receipt = page.get_by_role("status").inner_text()
        check(receipt.startswith("Demande reçue."), receipt)
        audit(page, "mot-de-passe-oublie-envoye")

        print("le code de l'e-mail saisi, faux puis recopié en majuscules par groupes : la page du lien")
        link = link_sent_to(FIGEAC_TEACHER[0], "password_reset", "/mot-de-passe-oublie/")
        code = link.rsplit("/", 1)[1]
        page.get_by_role("link", name="Saisissez le code qu'il donne").click()
        page.wait_for_url(BASE + "/mot-de-passe-oublie/code")
        audit(page, "code-mot-de-passe")
        page.get_by_label("Code reçu par e-mail").fill("0" * 64)
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert").inner_text()
        check(alert.startswith("Ce code ne correspond à aucun e-mail envoyé"), alert)
        check(
            page.get_by_label("Code reçu par e-mail").get_attribute("aria-invalid") == "true",
            "the code field is not marked",
        )
        audit(page, "code-mot-de-passe-refuse")
        page.get_by_label("Code reçu par e-mail").fill(" ".join(code[i:i + 8] for i in range(0, 64, 8)).upper())
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_url(BASE + link)

        print("la page du lien : le nouveau mot de passe, deux fois")
        page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
        page.get_by_label("Le même mot de passe, une seconde fois").fill(NEW_PASSWORD + "!")
        page.get_by_role("button", name="Changer le mot de passe").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert").inner_text()
        check(alert == "Les deux mots de passe ne sont pas identiques.", alert)
        check(
            page.get_by_label("Le même mot de passe, une seconde fois").get_attribute("aria-invalid") == "true",
            "the field at fault is not marked",
        )
        audit(page, "nouveau-mot-de-passe-refuse")
        page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
        page.get_by_label("Le même mot de passe, une seconde fois").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Changer le mot de passe").click()
        page.wait_for_url(BASE + "/connexion?fait=mot-de-passe")
        notice = page.get_by_role("status").inner_text()
        check(notice.startswith("Votre mot de passe est changé"), notice)

        print("connexion avec le nouveau mot de passe ; l'ancien ne marche plus")
        status, _ = api("POST", "/auth/login", body={"email": FIGEAC_TEACHER[0], "password": FIGEAC_TEACHER[1]})
        check(status == 401, f"the old password still works: {status}")
        teacher = (FIGEAC_TEACHER[0], NEW_PASSWORD)
        log_in(page, teacher)
        page.wait_for_url(BASE + "/plateaux")
        check("Mon compte" in nav_links(page), f"navigation: {nav_links(page)}")

        print("le lien ne sert qu'une fois")
        reply = page.goto(BASE + link)
        check(reply.status == 410, f"a used link answered {reply.status}")
        check(page.get_by_role("alert").inner_text().startswith("Ce lien a déjà servi"), "used link message")

        print("« Mon compte » : la session de ce navigateur, puis une autre, fermée d'ici")
        other = browser.new_context(locale="fr-FR")
        other_page = other.new_page()
        log_in(other_page, teacher)
        page.get_by_role("link", name="Mon compte").click()
        page.wait_for_url(BASE + "/compte")
        sessions = page.locator("#sessions + p + ul > li")
        check(sessions.count() == 2, f"{sessions.count()} sessions listed")
        check(page.get_by_text("(ce navigateur)").count() == 1, "the current session is not marked")
        browsers = page.locator("#sessions + p + ul > li").get_by_text("Depuis Chrome sous Linux").count()
        check(browsers == 2, f"{browsers} sessions name Debian's chromium")
        opened = sessions.first.locator("h3").inner_text()
        check(re.search(r"le (lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+", opened), opened)
        audit(page, "compte")
        page.get_by_role("button", name="Fermer cette session").click()
        page.wait_for_url(BASE + "/compte?fait=session#sessions")
        check(page.locator("#sessions + p + ul > li").count() == 1, "the closed session is still listed")
        other_page.goto(BASE + "/compte")
        check("/connexion" in other_page.url, f"the closed session still works: {other_page.url}")
        other.close()

        print("préférences de courriels, relues par l'API")
        box = page.get_by_label("réservation approuvée", exact=True)
        check(box.is_checked(), "booking approvals are off from the start")
        check(page.get_by_label(re.compile("^réinitialisation du mot de passe")).is_disabled(), "password messages can be turned off")
        box.uncheck()
        page.get_by_label("Langue des courriels").select_option(label="anglais")
        page.get_by_role("button", name="Enregistrer mes préférences").click()
        page.wait_for_url(BASE + "/compte?fait=courriels#courriels")
        check(not page.get_by_label("réservation approuvée", exact=True).is_checked(), "the box is checked again")
        status, preferences = api("GET", "/me/notifications", token_of(teacher))
        check(status == 200 and preferences["locale"] == "en", f"{status} {preferences}")
        approved = [k for k in preferences["kinds"] if k["kind"] == "booking_approved"]
        check(approved and not approved[0]["enabled"], f"{approved}")

        print("un compte invité, confirmé par son lien (l'ouvrir ne confirme rien)")
        admin = token_of(ADMIN)
        _, organisations = api("GET", "/organisations?limit=100", admin)
        lycee = next(o for o in organisations["items"] if o["kind"] == "lycee")
        invited = "invitee.navigateur@demo.plateaux.test"
        status, account = api("POST", "/users", admin, {
            "email": invited, "display_name": "Invitée du navigateur", "role": "teacher",
            "organisation_id": lycee["id"],
        })
        check(status == 201, f"invitation: {status} {account}")
        link = link_sent_to(invited, "account_confirmation", "/confirmation/")
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(BASE + "/")
        reply = page.goto(BASE + link)
        check(reply.status == 200, f"the confirmation page answered {reply.status}")
        check(page.get_by_text(invited).count() == 1, "the page does not say which account")
        status, _ = api("POST", "/auth/login", body={"email": invited, "password": NEW_PASSWORD})
        check(status in (401, 403), f"opening the link confirmed the account: {status}")
        audit(page, "confirmation")
        page.get_by_label("Mot de passe du compte").fill(NEW_PASSWORD)
        page.get_by_label("Le même mot de passe, une seconde fois").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Confirmer mon compte").click()
        page.wait_for_url(BASE + "/connexion?fait=confirmation")
        check(page.get_by_role("status").inner_text().startswith("Votre adresse est confirmée"), "confirmation notice")
        audit(page, "connexion-apres-confirmation")
        log_in(page, (invited, NEW_PASSWORD))
        page.wait_for_url(BASE + "/plateaux")

    finish()


if __name__ == "__main__":
    main()
