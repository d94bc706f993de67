"""The «Facturation» page in a real browser at 360 px: the month so far, a closed month, its PDF downloaded."""
from __future__ import annotations

from datetime import datetime, timedelta

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones, live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"
SENDER_EMAIL = "compta@cabinet-roux.example.fr"


def _billed_sender(monkeypatch) -> None:
    """A sender with three consents obtained last month (closed, with its statement) and one this month."""
    from consents import clock
    from consents.accounts import sign_up
    from consents.billing import close_month, month_of, previous_month
    from consents.lifecycle import answer_request, request_consents
    from consents.models import ConsentRequest
    from consents.rules import Recipient
    from consents.texts import consent_text

    user = sign_up("Cabinet Roux Expertise", "", SENDER_EMAIL, PASSWORD)
    real_now = clock.now
    last_month = previous_month(month_of(real_now()))
    for n, at in enumerate([datetime.combine(last_month, datetime.min.time()) + timedelta(days=9, hours=9)] * 3
                           + [real_now()]):
        monkeypatch.setattr(clock, "now", lambda at=at: at)
        email = f"client{n}@example.fr"
        request_consents(user.sender, user, [Recipient(email, f"Client {n}", "particulier")], 10, lre=True,
                         avis=False)
        request = ConsentRequest.query.order_by(ConsentRequest.id.desc()).first()
        answer_request(request, accept=True, text=consent_text(user.sender.legal_name, email, True, False),
                       ip="203.0.113.9", user_agent="test")
    monkeypatch.setattr(clock, "now", real_now)
    close_month(last_month)


def test_billing_page_and_statement_download_in_browser(live_server, app, monkeypatch):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base_url, server_errors = live_server
    pages = Pages("billing-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    _billed_sender(monkeypatch)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            [sender] = french_phones(browser, problems, "sender")
            sender.goto(f"{base_url}/connexion")
            sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
            sender.get_by_label("Mot de passe").fill(PASSWORD)
            sender.get_by_role("button", name="Se connecter").click()
            expect(sender).to_have_url(f"{base_url}/gestionnaire")
            sender.get_by_role("link", name="Facturation").click()
            expect(sender.get_by_role("heading", level=1)).to_have_text("Facturation")
            current = sender.locator("#mois-en-cours")
            expect(current).to_contain_text("jusqu'à présent")
            expect(current.locator("dd").first).to_have_text("1")
            expect(current).to_contain_text("1,19")
            closed = sender.locator("#mois-passes li")
            expect(closed).to_have_count(1)
            expect(closed).to_contain_text("Relevé n° REL-000001")
            expect(closed).to_contain_text("3 consentements obtenus")
            expect(closed).to_contain_text("3,56")
            pages.check(sender, "billing")
            pdf_link = closed.get_by_role("link", name="PDF du relevé REL-000001")
            box = pdf_link.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
            pdf_link.focus()
            with sender.expect_download() as download:
                sender.keyboard.press("Enter")
            assert download.value.suggested_filename == "releve-REL-000001.pdf"
            sender.get_by_role("link", name="Demander").first.click()
            expect(sender.locator("#prix")).to_contain_text("0,99 € HT par consentement obtenu, rien en cas de refus")
            pages.check(sender, "ask-price")
        finally:
            browser.close()
    assert_clean_run(server_errors, problems, pages)
