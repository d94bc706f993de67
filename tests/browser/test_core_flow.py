"""The core loop in a real browser at 360 px: sign up, ask, read the email in the dev outbox, answer, see the manager.

The real app runs in a background thread (werkzeug) on a fresh database from the `app_config` fixture,
with real CSRF. The sender and the recipient use separate browser contexts (separate cookies).
Full-page screenshots of every step land in test-artifacts/browser/ at the repository root.

CHROMIUM_PATH names the browser (default /usr/bin/chromium). When it is unset and the default is missing,
the test is skipped; when it is set (as CI does) and missing, the test fails instead of hiding.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from accessibility import audit_now, watch_accessibility

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WIDTH = 360
VIEWPORT = {"width": WIDTH, "height": 740}
TIMEOUT_MS = 10_000

LEGAL_NAME = "Syndic Étoile & Fils"
SENDER_EMAIL = "gerance@syndic-etoile.fr"
SENDER_PASSWORD = "mot-de-passe-très-solide-2026"
RECIPIENT_EMAIL = "marie.dupont@example.fr"
RECIPIENT_NAME = "Marie Dupont"


def _chromium_or_skip() -> None:
    """Skip when no browser is installed here; fail when one was explicitly configured but is missing."""
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return
    if os.environ.get("CHROMIUM_PATH"):
        pytest.fail(f"CHROMIUM_PATH={CHROMIUM} is not an executable file.")
    pytest.skip(f"No Chromium at {CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.")


@pytest.fixture
def live_server(app_config):
    """Serve the real app on 127.0.0.1 and a free port; yield (base_url, server errors)."""
    from flask import got_request_exception

    from app import create_app
    from consents.db import db

    app = create_app({**app_config, "TESTING": False, "DEV_OUTBOX": True, "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url  # read per request: the links in the emails point to this server
    errors: list[str] = []

    def record(_sender, exception, **_extra):
        errors.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield base_url, errors
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        got_request_exception.disconnect(record, app)
        with app.app_context():
            db.engine.dispose()  # no connection left open for the next test's TRUNCATE


class Pages:
    """Screenshots, the no-horizontal-scroll check and an accessibility audit, for every page the test visits."""

    def __init__(self, prefix: str = "core-flow"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        for old in ARTIFACTS.glob(f"{prefix}-*.png"):
            old.unlink()
        self.step = 0
        self.overflows: list[str] = []

    def check(self, page, name: str) -> None:
        """Take a full-page screenshot, record any horizontal overflow with the elements causing it, audit the page."""
        self.step += 1
        audit_now(page)
        page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{self.step:02d}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            culprits = page.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > limit + 0.5)
                    .slice(0, 5)
                    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                              + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                              + ' right=' + Math.round(e.getBoundingClientRect().right))""",
                WIDTH,
            )
            self.overflows.append(f"{name} ({page.url}): scrollWidth {width}px > {WIDTH}px; {culprits}")


def _watch(page, problems: list[str], who: str) -> None:
    """Collect JavaScript errors, console errors (CSP violations among them) and failed documents."""
    page.on("pageerror", lambda exc: problems.append(f"{who} page error: {exc}"))
    def console(msg):
        # The browser asks for /favicon.ico on its own; the app has none, and that 404 is not the app's doing.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{who} console {msg.type}: {msg.text} ({msg.location.get('url')})")

    page.on("console", console)
    page.on("response", lambda r: problems.append(f"{who} HTTP {r.status} {r.request.method} {r.url}")
            if r.status >= 400 else None)


def french_phones(browser, problems: list[str], *who: str) -> list:
    """One page per person at 360×740, each in a browser context of its own (its own cookies), watched for errors
    and audited for accessibility (axe-core, WCAG 2.1 A/AA, and 44 px touch targets) on every page it leaves.

    French browsers: the interface language follows Accept-Language.
    """
    pages = []
    for name in who:
        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _watch(page, problems, name)
        watch_accessibility(page, problems, name)
        pages.append(page)
    return pages


def assert_clean_run(server_errors: list[str], problems: list[str], pages: Pages) -> None:
    """No exception in the app, no browser error or failed response, no horizontal scrolling at 360 px."""
    assert not server_errors, f"the app raised: {server_errors}"
    assert not problems, "\n".join(problems)
    assert not pages.overflows, "horizontal scrolling at 360 px:\n" + "\n".join(pages.overflows)


def test_sign_up_ask_answer_in_browser(live_server):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base_url, server_errors = live_server
    pages = Pages()
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sender, recipient = french_phones(browser, problems, "sender", "recipient")
            current = sender
            try:
                # 1. Sign up.
                sender.goto(f"{base_url}/inscription")
                expect(sender.get_by_role("heading", level=1)).to_have_text("Créer un compte expéditeur")
                sender.get_by_label("Raison sociale").fill(LEGAL_NAME)
                sender.get_by_label("SIREN").fill("732 829 320")
                sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
                sender.get_by_label("Mot de passe").fill(SENDER_PASSWORD)
                pages.check(sender, "signup")
                sender.get_by_role("button", name="Créer mon compte").click()
                expect(sender.get_by_role("status")).to_contain_text("Vérifiez votre boîte mail.")
                pages.check(sender, "signup-sent")

                # 1b. The confirmation email, read in the dev outbox; its link opens the account.
                sender.goto(f"{base_url}/dev/outbox")
                sender.locator("ul.consents a.row").filter(has_text=SENDER_EMAIL).click()
                sender.locator("pre.mail a").filter(has_text="/inscription/confirmer/").click()
                expect(sender).to_have_url(f"{base_url}/connexion")
                expect(sender.get_by_text("Adresse confirmée : connectez-vous pour commencer.")).to_be_visible()
                sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
                sender.get_by_label("Mot de passe").fill(SENDER_PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire")
                expect(sender.get_by_text("Aucun consentement pour l'instant.")).to_be_visible()
                pages.check(sender, "manager-empty")

                # 2. Ask one recipient from the form reached through the main navigation.
                nav = sender.get_by_role("navigation", name="Navigation principale")
                nav.get_by_role("link", name="Demander", exact=True).click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire/demander")
                sender.get_by_label("Adresse email du destinataire").fill(RECIPIENT_EMAIL)
                sender.get_by_label("Nom du destinataire").fill(RECIPIENT_NAME)
                sender.get_by_label("Type de destinataire").select_option("particulier")
                sender.get_by_label("Lettres recommandées électroniques (LRE)").check()
                sender.get_by_label("Délai de réponse").fill("10")
                pages.check(sender, "ask-form")
                sender.get_by_role("button", name="Envoyer la demande").click()
                expect(sender.get_by_role("heading", level=1)).to_have_text("Résultat de votre demande")
                expect(sender.locator(".notice-success")).to_contain_text("1 demande enregistrée")
                expect(sender.locator(".notice-success")).to_contain_text(RECIPIENT_EMAIL)
                pages.check(sender, "ask-result")

                # 3. The email, as written to the outbox (queued: no worker runs here, which is fine).
                sender.get_by_role("link", name="Boîte d'envoi (dev)").click()
                expect(sender).to_have_url(f"{base_url}/dev/outbox")
                mail_row = sender.locator("ul.consents a.row").filter(has_text=RECIPIENT_EMAIL)
                expect(mail_row).to_have_count(1)
                pages.check(sender, "outbox")
                mail_row.click()
                expect(sender).to_have_url(re.compile(rf"{re.escape(base_url)}/dev/outbox/\d+$"))
                link = sender.locator("pre.mail a").filter(has_text="/c/")
                expect(link).to_have_count(1)
                assert link.get_attribute("href").startswith(f"{base_url}/c/"), link.get_attribute("href")
                expect(sender.locator("pre.mail")).to_contain_text(LEGAL_NAME)
                pages.check(sender, "email")
                email_page = sender.url

                # 4. The recipient, in their own browser context, opens the email and follows the link.
                current = recipient
                recipient.goto(email_page)
                recipient.locator("pre.mail a").filter(has_text="/c/").click()
                expect(recipient).to_have_url(f"{base_url}/c/" + link.get_attribute("href").rsplit("/c/", 1)[1])
                expect(recipient.get_by_role("heading", level=1)).to_contain_text(LEGAL_NAME)
                expect(recipient.locator(".facts")).to_contain_text(f"{LEGAL_NAME} (SIREN 732829320)")
                expect(recipient.locator(".facts")).to_contain_text(RECIPIENT_EMAIL)
                expect(recipient.locator(".consent-text")).to_contain_text(LEGAL_NAME)
                expect(recipient.get_by_role("link", name="Gestionnaire")).to_have_count(0)
                for name in ("J'accepte", "Je refuse"):  # who asks and both answers, without scrolling
                    box = recipient.get_by_role("button", name=name).bounding_box()
                    assert box["y"] + box["height"] <= VIEWPORT["height"], (name, box)
                pages.check(recipient, "recipient-request")
                recipient.get_by_role("button", name="J'accepte").click()
                expect(recipient.get_by_role("status")).to_contain_text("Vous avez accepté.")
                expect(recipient.get_by_role("button", name="J'accepte")).to_have_count(0)
                pages.check(recipient, "recipient-accepted")

                # 5. Back to the sender: the manager shows the consent as accepted.
                current = sender
                sender.get_by_role("navigation", name="Navigation principale").get_by_role(
                    "link", name="Gestionnaire", exact=True).click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire")
                row = sender.locator("ul.consents li").filter(has_text=RECIPIENT_EMAIL)
                expect(row).to_have_count(1)
                expect(row.locator(".chip")).to_have_text("Accepté")
                expect(row).to_contain_text(RECIPIENT_NAME)
                expect(sender.locator("a.tab", has_text="Accepté").locator(".count")).to_have_text("1")
                pages.check(sender, "manager-accepted")
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "core-flow-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
