"""The support console in a real browser at 360 px: a staff member activates their account (QR code, password,
code), signs in with a recovery code, finds one address that consented to two senders, and revokes both with a
reason; each sender then reads «révoqué par le support le … — motif : …» in the contact's history."""
from __future__ import annotations

import pyotp

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"
STAFF_EMAIL = "agent@consentement-lre.fr"
STAFF_PASSWORD = "cheval-agrafe-pile-correcte-42"
RECIPIENT = "marie.dupont@example.fr"
SENDERS = (("Gérance Dumas & Fils", "gerance@dumas.example.fr"), ("Syndic Bellevue", "syndic@bellevue.example.fr"))
REASON = "Le destinataire demande le retrait partout"


def _two_senders_accepted() -> None:
    """Marie accepted both senders' requests by email."""
    from consents.accounts import sign_up
    from consents.lifecycle import answer_request, request_consents
    from consents.models import ConsentRequest
    from consents.rules import Recipient
    from consents.texts import consent_text

    for legal_name, email in SENDERS:
        user = sign_up(legal_name, "", email, PASSWORD)
        request_consents(user.sender, user, [Recipient(RECIPIENT, "Marie Dupont", "particulier")], 10,
                         lre=True, avis=False)
        request = ConsentRequest.query.order_by(ConsentRequest.id.desc()).first()
        answer_request(request, accept=True, text=consent_text(legal_name, RECIPIENT, True, False),
                       ip="203.0.113.9", user_agent="test")


def test_support_revokes_one_address_at_two_senders_in_browser(live_server, app):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from consents.staff import create_staff

    base_url, server_errors = live_server
    pages = Pages("support-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    _two_senders_accepted()
    _staff, token = create_staff(STAFF_EMAIL, "support")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            staff, first, second = french_phones(browser, problems, "staff", "sender-1", "sender-2")
            current = staff
            try:
                # 1. Activation: the QR code and its key, a password and the app's code; the recovery codes once.
                staff.goto(f"{base_url}/support/activer/{token}")
                expect(staff.locator(".qr-svg svg")).to_be_visible()
                secret = staff.locator("#totp-secret").inner_text()
                pages.check(staff, "setup")
                staff.get_by_label("Mot de passe (au moins 12 caractères)").fill(STAFF_PASSWORD)
                staff.get_by_label("Code à 6 chiffres affiché par l'application").fill(pyotp.TOTP(secret).now())
                staff.get_by_role("button", name="Activer le compte").click()
                expect(staff.get_by_role("heading", level=1)).to_have_text("Compte activé : vos codes de secours")
                codes = staff.locator("#recovery-codes code").all_inner_texts()
                assert len(codes) == 10
                pages.check(staff, "recovery-codes")

                # 2. Sign-in with a recovery code (the authenticator's code of this step is used already).
                staff.get_by_role("link", name="Se connecter").click()
                staff.get_by_label("Adresse email").fill(STAFF_EMAIL)
                staff.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
                staff.get_by_label("Code à 6 chiffres de l'application (ou code de secours)").fill(codes[0])
                pages.check(staff, "login")
                staff.get_by_role("button", name="Se connecter").click()
                expect(staff).to_have_url(f"{base_url}/support")

                # 3. Live search by the beginning of the address: one row per sender.
                staff.get_by_label("Texte recherché").fill("marie.du")
                expect(staff.locator("#results")).to_contain_text("2 consentements")
                expect(staff.locator("#results tbody tr")).to_have_count(2)
                pages.check(staff, "search")
                # The same results as a table on a desk's screen.
                staff.set_viewport_size({"width": 1280, "height": 800})
                expect(staff.get_by_role("columnheader", name="Expéditeur")).to_be_visible()
                staff.screenshot(path=str(ARTIFACTS / "support-flow-search-1280.png"), full_page=True)
                staff.set_viewport_size({"width": 360, "height": 740})
                staff.locator("#results tbody tr").first.get_by_role("link", name=RECIPIENT).click()

                # 4. The recipient's consents at both senders; both revoked with a reason and the request's reference.
                expect(staff.get_by_role("heading", level=1)).to_contain_text(RECIPIENT)
                for legal_name, _email in SENDERS:
                    expect(staff.get_by_label(legal_name)).to_be_checked()
                staff.get_by_label("Demande reçue par").select_option("email")
                staff.get_by_label("Référence de la demande (ticket ou email)").fill("Ticket 4521")
                staff.get_by_label("Motif", exact=True).fill(REASON)
                pages.check(staff, "recipient")
                staff.get_by_role("button", name="Continuer").click()
                expect(staff.get_by_role("alert")).to_contain_text("2 consentements de marie.dupont@example.fr")
                pages.check(staff, "revoke-confirm")
                staff.get_by_role("button", name="Oui, révoquer").click()
                expect(staff.get_by_text("2 consentement(s) révoqué(s)")).to_be_visible()
                expect(staff.locator(".chip-revoked")).to_have_count(2)
                pages.check(staff, "revoked")

                # 5. Each sender reads it in the contact's history.
                for n, (phone, (_legal_name, email)) in enumerate(zip((first, second), SENDERS), start=1):
                    current = phone
                    phone.goto(f"{base_url}/connexion")
                    phone.get_by_label("Adresse email").fill(email)
                    phone.get_by_label("Mot de passe").fill(PASSWORD)
                    phone.get_by_role("button", name="Se connecter").click()
                    row = phone.locator("ul.consents li").filter(has_text=RECIPIENT)
                    expect(row.locator(".chip").first).to_have_text("Révoqué")
                    row.get_by_role("link").click()
                    expect(phone.locator("ol.history")).to_contain_text("révoqué par le support le")
                    expect(phone.locator("ol.history")).to_contain_text(f"motif : {REASON}")
                    expect(phone.locator(".facts").first).to_contain_text("Ticket 4521")
                    pages.check(phone, f"sender-{n}-history")
                    assert phone.goto(f"{base_url}/support").status == 404  # a sender never reaches the console
                    problems[:] = [p for p in problems if "/support" not in p]
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "support-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
