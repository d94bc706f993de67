"""Every page a sender or a visitor can open, at 360×740 in a real browser: audited by axe-core (WCAG 2.1 A/AA) and
for 44 px touch targets through `french_phones`, without horizontal scrolling."""
from __future__ import annotations

from test_core_flow import (  # noqa: F401  (live_server is a fixture)
    ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Pages, _chromium_or_skip, assert_clean_run, french_phones,
    live_server,
)
from test_life_flow import PASSWORD, _accepted_consent

SENDER_EMAIL = "gerance@tour.example.fr"


def test_every_page_passes_the_audit(live_server, app):
    _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from consents.evidence_models import Proof
    from consents.models import AskBatch, Consent, User
    from consents.sharelinks import create_link

    base_url, server_errors = live_server
    pages = Pages("a11y-tour")
    problems: list[str] = []
    expect.set_options(timeout=TIMEOUT_MS)
    _accepted_consent(SENDER_EMAIL)
    consent, proof = Consent.query.one(), Proof.query.one()
    link = create_link(User.query.filter_by(email=SENDER_EMAIL).one(), "Site web", lre=True, avis=True)
    batch = AskBatch.query.one()
    public = ["/connexion", "/inscription", "/mot-de-passe-oublie", "/verifier", f"/verifier/recu/{proof.uuid}",
              f"/l/{link.slug}"]
    signed_in = ["/gestionnaire", "/gestionnaire?statut=accepted", "/gestionnaire/entonnoir", "/gestionnaire/compteurs",
                 "/gestionnaire/demander", "/gestionnaire/demander-plusieurs", "/gestionnaire/ajouter",
                 "/gestionnaire/importer", "/gestionnaire/liens", f"/gestionnaire/liens/{link.id}",
                 f"/gestionnaire/contacts/{consent.id}", f"/gestionnaire/contacts/{consent.id}/modifier",
                 f"/gestionnaire/contacts/{consent.id}/revoquer", f"/gestionnaire/envois/{batch.id}",
                 "/compte/mot-de-passe", "/dev/outbox"]

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            visitor, sender = french_phones(browser, problems, "visitor", "sender")
            current = visitor
            try:
                for path in public:
                    visitor.goto(base_url + path)
                    pages.check(visitor, path.strip("/").split("/")[0] or "home")
                current = sender
                sender.goto(f"{base_url}/connexion")
                sender.get_by_label("Adresse email").fill(SENDER_EMAIL)
                sender.get_by_label("Mot de passe").fill(PASSWORD)
                sender.get_by_role("button", name="Se connecter").click()
                expect(sender).to_have_url(f"{base_url}/gestionnaire")
                for path in signed_in:
                    sender.goto(base_url + path)
                    sender.wait_for_load_state("networkidle")  # the counts and the funnel arrive in their own requests
                    pages.check(sender, path.replace("/gestionnaire", "g").strip("/").replace("/", "-").replace("?", "-"))
                sender.goto(f"{base_url}/gestionnaire/liens/{link.id}")
                sender.get_by_text("Les chiffres jour par jour").click()  # the chart's table, opened
                pages.check(sender, "link-table")
            except Exception:
                current.screenshot(path=str(ARTIFACTS / "a11y-tour-failure.png"), full_page=True)
                raise
        finally:
            browser.close()

    assert_clean_run(server_errors, problems, pages)
