"""The «Développeurs» page in a real browser at 360 px: a key shown once, a webhook endpoint, its log and «Tester»."""
from __future__ import annotations

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)

PASSWORD = "mot-de-passe-tres-solide-2026"


def test_keys_and_webhooks_in_browser(live_server, app):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from consents.accounts import sign_up

    base_url, server_errors = live_server
    pages = Pages("developers-flow")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    sign_up("Syndic Horizon Gestion", "", "tech@horizon.example.fr", PASSWORD)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            [sender] = french_phones(browser, problems, "sender")
            try:
                sender.goto(f"{base_url}/connexion")
                sender.get_by_label("Adresse email").fill("tech@horizon.example.fr")
                sender.get_by_label("Mot de passe").fill(PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                sender.get_by_role("link", name="Développeurs").click()
                expect(sender.get_by_role("heading", level=1)).to_have_text("Développeurs")
                sender.get_by_label("Nom de la clé (le logiciel qui l'utilise)").fill("Logiciel de syndic")
                sender.get_by_label("Lire les consentements et les reçus").check()
                sender.get_by_role("button", name="Créer la clé").click()
                expect(sender.locator("#new-key")).to_contain_text("lre_")
                pages.check(sender, "key-shown-once")
                sender.get_by_label("Adresse de réception (https://…)").fill(
                    "http://127.0.0.1:9/une/adresse/de/reception/assez/longue/pour/un/telephone")
                sender.get_by_role("button", name="Ajouter l'adresse").click()
                expect(sender.locator("#new-secret")).to_contain_text("whsec_")
                pages.check(sender, "secret-shown-once")
                sender.goto(f"{base_url}/gestionnaire/developpeurs")
                expect(sender.locator("#new-key")).to_have_count(0)
                sender.locator("a.row", has_text="127.0.0.1:9").click()
                sender.get_by_role("button", name="Tester").click()
                expect(sender.locator("ul.consents li").first).to_contain_text("Test")
                pages.check(sender, "delivery-log")
                sender.goto(f"{base_url}/gestionnaire/developpeurs")
                sender.get_by_role("button", name="Révoquer Logiciel de syndic").click()
                expect(sender.locator("ul.consents li").first).to_contain_text("Révoquée")
                pages.check(sender, "key-revoked")
            except Exception:
                sender.screenshot(path=str(ARTIFACTS / "developers-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
