"""The paper-or-electronic choice in a real browser at 360 px: the sender offers the choice, the recipient sees who
asks and both choices on the first screen, picks paper and types an address (a wrong postcode first), and the
sender's manager and contact page show «Papier» and the address."""
from __future__ import annotations

import re

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, Pages, _chromium_or_skip, assert_clean_run,
    french_phones, live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"
SENDER_EMAIL = "syndic@residence-les-pins.example.fr"
LEGAL_NAME = "Syndic de la Résidence Les Pins"
RECIPIENT = "paul.martin@example.fr"


def test_recipient_chooses_paper_with_an_address_in_browser(live_server, app):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from consents.accounts import sign_up

    base_url, server_errors = live_server
    pages = Pages("paper-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    sign_up(LEGAL_NAME, "", SENDER_EMAIL, PASSWORD)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sender, recipient = french_phones(browser, problems, "sender", "recipient")
            current = sender
            try:
                # 1. The sender offers the choice of paper or electronic.
                sender.goto(f"{base_url}/connexion")
                sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
                sender.get_by_label("Mot de passe").fill(PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire")
                sender.goto(f"{base_url}/gestionnaire/demander")
                sender.get_by_label("Adresse email du destinataire").fill(RECIPIENT)
                sender.get_by_label("Nom du destinataire").fill("Paul Martin")
                sender.get_by_label("Ce que vous proposez").select_option("lro")
                pages.check(sender, "ask-lro")
                sender.get_by_role("button", name="Envoyer la demande").click()
                expect(sender.locator(".notice-success")).to_contain_text(RECIPIENT)

                # 2. The recipient opens the email's link: who asks and both choices fit the first screen.
                sender.goto(f"{base_url}/dev/outbox")
                sender.locator("ul.consents a.row").filter(has_text=RECIPIENT).click()
                href = sender.locator("pre.mail a").filter(has_text="/c/").get_attribute("href")
                current = recipient
                recipient.goto(href)
                heading = recipient.get_by_role("heading", level=1)
                expect(heading).to_contain_text(LEGAL_NAME)
                electronic = recipient.get_by_role("button", name="Recevoir par voie électronique")
                paper = recipient.get_by_text("Recevoir par courrier papier", exact=True)
                for element in (heading, electronic, paper):
                    box = element.bounding_box()
                    assert box["y"] + box["height"] <= VIEWPORT["height"], box
                assert abs(electronic.bounding_box()["height"] - paper.bounding_box()["height"]) < 2  # equal choices
                pages.check(recipient, "choice")

                # 3. Paper, from the keyboard: the address form unfolds; a wrong postcode is explained, kept typed.
                paper.focus()
                recipient.keyboard.press("Enter")
                recipient.get_by_label("Numéro et voie").fill("4 allée des Pins")
                recipient.get_by_label("Complément d'adresse").fill("Bâtiment C")
                recipient.get_by_label("Code postal").fill("96100")
                recipient.get_by_label("Commune").fill("Nice")
                pages.check(recipient, "address")
                recipient.get_by_role("button", name="Confirmer le courrier papier").click()
                expect(recipient.locator(".error")).to_contain_text("ne correspond à aucun département français")
                expect(recipient.get_by_label("Numéro et voie")).to_have_value("4 allée des Pins")
                pages.check(recipient, "address-error")
                # The wrong postcode's 422 is the page doing its job: only that response (and the console's note of
                # it) leaves the list of problems.
                refused = [p for p in problems if "422" in p and "/c/" in p]
                assert len(refused) == 2, problems
                for problem in refused:
                    problems.remove(problem)
                recipient.get_by_label("Code postal").fill("06100")
                recipient.get_by_role("button", name="Confirmer le courrier papier").click()
                expect(recipient.get_by_role("status")).to_contain_text("Vous avez choisi le courrier papier.")
                pages.check(recipient, "paper-chosen")

                # 4. The sender: «Papier» with its count, and the address on the contact page.
                current = sender
                sender.goto(f"{base_url}/gestionnaire")
                row = sender.locator("ul.consents li").filter(has_text=RECIPIENT)
                expect(row.locator(".chip").first).to_have_text("Papier")
                expect(sender.locator("a.tab", has_text="Papier").locator(".count")).to_have_text("1")
                pages.check(sender, "manager-paper")
                row.get_by_role("link").click()
                expect(sender.locator("#adresse-postale")).to_contain_text("4 allée des Pins")
                expect(sender.locator("#adresse-postale")).to_contain_text("06100 Nice")
                expect(sender.locator("#preuve")).to_contain_text("Reçu du choix du courrier papier")
                pages.check(sender, "contact-paper")
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "paper-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
