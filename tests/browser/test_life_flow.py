"""A consent's end and an offline consent in a real browser at 360 px: the recipient asks to withdraw from the
receipt email's link, the sender sees «Retrait demandé» and records it, the manager shows «Révoqué»; then the
sender adds a consent obtained at a general assembly with its PDF."""
from __future__ import annotations

import re

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"
SENDER_EMAIL = "gerance@dumas.example.fr"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _accepted_consent(sender_email: str) -> str:
    """A sender whose recipient accepted by email; return the withdrawal path from the receipt email."""
    from consents.accounts import sign_up
    from consents.lifecycle import answer_request, request_consents
    from consents.models import ConsentRequest, OutboundEmail
    from consents.rules import Recipient
    from consents.texts import consent_text

    user = sign_up("Gérance Dumas & Fils", "", sender_email, PASSWORD)
    request_consents(user.sender, user, [Recipient("marie.dupont@example.fr", "Marie Dupont", "particulier")], 10,
                     lre=True, avis=False)
    request = ConsentRequest.query.one()
    answer_request(request, accept=True, text=consent_text(user.sender.legal_name, "marie.dupont@example.fr", True,
                                                           False), ip="203.0.113.9", user_agent="test")
    receipt = OutboundEmail.query.filter_by(kind="receipt").one()
    return re.search(r"https?://[^/\s]+(/retrait/[\w\-]+)", receipt.sent_text).group(1)


def test_withdrawal_then_revocation_then_manual_add_in_browser(live_server, app, tmp_path):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base_url, server_errors = live_server
    pages = Pages("life-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    withdraw_path = _accepted_consent(SENDER_EMAIL)
    pdf = tmp_path / "pv-ag-2026-03-12.pdf"
    pdf.write_bytes(PDF)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sender, recipient = french_phones(browser, problems, "sender", "recipient")
            current = recipient
            try:
                # 1. The recipient follows the receipt email's link and asks to withdraw.
                recipient.goto(base_url + withdraw_path)
                expect(recipient.get_by_role("heading", level=1)).to_contain_text("Gérance Dumas & Fils")
                recipient.get_by_label("Message pour Gérance Dumas & Fils").fill("Je préfère le papier, merci.")
                pages.check(recipient, "withdraw-form")
                recipient.get_by_role("button", name="Demander le retrait").click()
                expect(recipient.get_by_role("status")).to_contain_text("Votre demande de retrait a été transmise")
                pages.check(recipient, "withdraw-sent")

                # 2. The sender sees «Retrait demandé» in the manager, with its count, and opens the contact.
                current = sender
                sender.goto(f"{base_url}/connexion")
                sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
                sender.get_by_label("Mot de passe").fill(PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire")
                expect(sender.locator("a.tab", has_text="Retrait demandé").locator(".count")).to_have_text("1")
                row = sender.locator("ul.consents li").filter(has_text="marie.dupont@example.fr")
                expect(row.locator(".chip-withdrawal")).to_have_text("Retrait demandé")
                pages.check(sender, "manager-withdrawal")
                row.get_by_role("link").click()
                expect(sender.locator("#retrait")).to_contain_text("Je préfère le papier, merci.")
                pages.check(sender, "contact-withdrawal")

                # 3. One button records it: the form is filled in from the request; a confirmation step follows.
                sender.get_by_role("link", name="Enregistrer la révocation").click()
                expect(sender.get_by_label("Comment la demande est arrivée")).to_have_value("demande_en_ligne")
                pages.check(sender, "revoke-form")
                sender.get_by_role("button", name="Continuer").click()
                expect(sender.get_by_role("alert")).to_contain_text("Confirmez la révocation.")
                pages.check(sender, "revoke-confirm")
                sender.get_by_role("button", name="Oui, révoquer").click()
                expect(sender.get_by_text("Consentement révoqué.")).to_be_visible()
                expect(sender.locator(".facts").first).to_contain_text("Révoqué le")
                pages.check(sender, "contact-revoked")

                # 4. The manager shows «Révoqué».
                sender.get_by_role("navigation", name="Navigation principale").get_by_role(
                    "link", name="Gestionnaire", exact=True).click()
                row = sender.locator("ul.consents li").filter(has_text="marie.dupont@example.fr")
                expect(row.locator(".chip").first).to_have_text("Révoqué")
                expect(sender.locator("a.tab", has_text="Retrait demandé").locator(".count")).to_have_text("0")
                pages.check(sender, "manager-revoked")

                # 5. A consent obtained at a general assembly, added by hand with the minutes as a PDF.
                sender.get_by_role("link", name="Ajouter un consentement obtenu hors ligne").click()
                sender.get_by_label("Adresse email du destinataire").fill("paul.martin@example.fr")
                sender.get_by_label("Nom du destinataire").fill("Paul Martin")
                sender.get_by_label("Date à laquelle le consentement a été obtenu").fill("2026-03-12")
                sender.get_by_label("Où il a été obtenu").select_option("assemblee_generale")
                sender.get_by_label("Référence").fill("AG du 12/03/2026, résolution 14")
                sender.get_by_label("Justificatif").set_input_files(str(pdf))
                pages.check(sender, "manual-form")
                sender.get_by_role("button", name="Ajouter le consentement").click()
                expect(sender.get_by_text("Consentement de paul.martin@example.fr ajouté")).to_be_visible()
                expect(sender.locator(".facts").first).to_contain_text("obtenu hors ligne")
                expect(sender.locator("ol.history")).to_contain_text("pv-ag-2026-03-12.pdf")
                pages.check(sender, "manual-added")
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "life-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
