"""The front page and the FAQ in a real browser at 360 px, in French then in English, reached as a visitor would."""
from __future__ import annotations

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)


def _small_targets(page) -> list[str]:
    """Links and buttons of the header, main content and footer shorter than 44 px (inline links in prose aside)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('header a, header button, .actions a, .foot-links a, .toc a')]
            .filter(e => e.getBoundingClientRect().height < 44)
            .map(e => e.textContent.trim() + ' ' + Math.round(e.getBoundingClientRect().height) + 'px')""")


def test_front_page_and_faq_in_french_and_english_at_360(live_server):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base_url, server_errors = live_server
    pages = Pages("public-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            (visitor,) = french_phones(browser, problems, "visitor")
            try:
                visitor.goto(f"{base_url}/")
                expect(visitor.get_by_role("heading", level=1)).to_have_text(
                    "Le consentement aux recommandés électroniques, recueilli en un geste et prouvé")
                expect(visitor.locator(".price")).to_have_text("0,99 € HT par consentement obtenu, rien en cas de refus")
                expect(visitor.get_by_role("link", name="Créer un compte")).to_be_visible()
                expect(visitor.get_by_role("contentinfo").get_by_role("link", name="Questions fréquentes")).to_be_visible()
                assert _small_targets(visitor) == []
                pages.check(visitor, "home-fr")

                visitor.get_by_role("contentinfo").get_by_role("link", name="Questions fréquentes").click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text("Questions fréquentes")
                visitor.get_by_role("link", name="Et en copropriété ?").click()
                expect(visitor.locator("#copropriete")).to_be_in_viewport()
                assert _small_targets(visitor) == []
                pages.check(visitor, "faq-fr")

                visitor.get_by_role("link", name="English").click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text("Frequently asked questions")
                assert visitor.evaluate("document.documentElement.lang") == "en"
                pages.check(visitor, "faq-en")

                visitor.get_by_role("link", name="LRE Consent", exact=True).click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text(
                    "Consent to electronic registered mail, collected in one tap and proven")
                expect(visitor.locator(".price")).to_have_text("€0.99 excl. VAT per consent obtained, nothing when refused")
                pages.check(visitor, "home-en")

                visitor.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text("Privacy policy")
                pages.check(visitor, "privacy-en")
                visitor.get_by_role("contentinfo").get_by_role("link", name="Legal notice").click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text("Legal notice")
                pages.check(visitor, "legal-notice-en")
            except Exception:
                visitor.screenshot(path=str(ARTIFACTS / "public-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
