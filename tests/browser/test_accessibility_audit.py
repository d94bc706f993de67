"""The accessibility audit itself: it names axe-core's WCAG findings and small touch targets, even on a page the
test leaves at once, so a clean browser run means the pages were really checked."""
from __future__ import annotations

import http.server
import threading

from accessibility import audit_now, watch_accessibility
from test_core_flow import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, _chromium_or_skip

FIRST = ('<!doctype html><html lang="fr"><head><title>Première</title></head><body><main><h1>Première</h1>'
         '<a href="second.html">Suite</a></main></body></html>')
SECOND = '<!doctype html><html><body><main><img src="data:,"><button>ok</button></main></body></html>'


def test_the_audit_names_what_is_wrong_on_every_page(tmp_path):
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    (tmp_path / "first.html").write_text(FIRST)
    (tmp_path / "second.html").write_text(SECOND)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                watch_accessibility(page, problems, "visitor")
                page.goto(f"http://127.0.0.1:{server.server_port}/first.html")
                page.click("a")  # at once: the first page is still judged before the second one loads
                page.wait_for_url("**/second.html")
                audit_now(page)
            finally:
                browser.close()
    finally:
        server.shutdown()
    first = [p for p in problems if "/first.html" in p]
    second = " ".join(p for p in problems if "/second.html" in p)
    assert len(first) == 1 and "touch targets under 44 px: a «Suite»" in first[0]
    for rule in ("image-alt", "html-has-lang", "document-title"):
        assert rule in second, problems
    assert "button «ok»" in second
