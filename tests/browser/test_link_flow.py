"""The share link in a real browser at 360 px: a visitor fills the landing form, confirms from the email,
accepts, and the sender sees the consent under that link."""
from __future__ import annotations

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"


def test_share_link_double_opt_in_in_browser(live_server, app):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from consents.accounts import sign_up
    from consents.sharelinks import create_link

    base_url, server_errors = live_server
    pages = Pages("link-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    user = sign_up("Cabinet Lefèvre Gérance", "", "gerance@lefevre.example.fr", PASSWORD)
    link = create_link(user, "Newsletter mars", lre=True, avis=False)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sender, visitor = french_phones(browser, problems, "sender", "visitor")
            current = visitor
            try:
                # 1. The visitor opens the link from a newsletter and fills the form.
                visitor.goto(f"{base_url}/l/{link.slug}")
                expect(visitor.get_by_role("heading", level=1)).to_contain_text("Cabinet Lefèvre Gérance")
                visitor.get_by_label("Votre adresse email").fill("lucie.bernard@example.fr")
                visitor.get_by_label("Votre nom").fill("Lucie Bernard")
                pages.check(visitor, "landing")
                visitor.get_by_role("button", name="Recevoir l'email de confirmation").click()
                expect(visitor.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte mail")
                pages.check(visitor, "check-inbox")

                # 2. The confirmation email, read in the dev outbox, opens the answer page.
                visitor.goto(f"{base_url}/dev/outbox")
                visitor.locator("ul.consents a", has_text="Confirmez votre accord").first.click()
                confirm = visitor.locator("pre.mail a[href*='/l/c/']")
                expect(confirm).to_have_count(1)
                pages.check(visitor, "outbox-email")
                confirm.click()
                expect(visitor.locator("blockquote.consent-text")).to_contain_text("lucie.bernard@example.fr")
                pages.check(visitor, "confirm")
                visitor.get_by_role("button", name="J'accepte").click()
                expect(visitor.get_by_role("status")).to_contain_text("Vous avez accepté.")
                pages.check(visitor, "accepted")

                # 3. The sender sees it under that link, with the link's numbers.
                current = sender
                sender.goto(f"{base_url}/connexion")
                sender.get_by_label("Adresse email").fill("gerance@lefevre.example.fr")
                sender.get_by_label("Mot de passe").fill(PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                sender.get_by_role("link", name="Liens", exact=True).click()
                sender.get_by_role("link", name="Newsletter mars").click()
                expect(sender.locator(".numbers")).to_contain_text("Consentements obtenus")
                expect(sender.locator(".numbers div", has_text="Consentements obtenus").locator("dd")).to_have_text("1")
                pages.check(sender, "link-page")
                sender.get_by_role("link", name="Voir les consentements venus de ce lien").click()
                row = sender.locator("ul.consents li").filter(has_text="lucie.bernard@example.fr")
                expect(row.locator(".chip")).to_have_text("Accepté")
                pages.check(sender, "manager-by-link")
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "link-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
