"""Accessibility audit of every page state a browser test sees: axe-core (WCAG 2.1 A/AA) and 44 px touch targets.

`watch_accessibility(page, problems, who)` injects the vendored axe-core into every document of the page; each
document is audited once loaded and again after every htmx swap, and `audit_now(page)` audits it on demand
(Pages.check does). A document or htmx request waits while an audit runs, so a fast test cannot leave a page
before it is judged. Findings land in `problems`, once per page and finding.
"""
from __future__ import annotations

import weakref
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 44
_WATCHED: weakref.WeakSet = weakref.WeakSet()

# Runs in every document: audits one after another, each announced to the test ("start") and reported ("done").
AUDIT_SCRIPT = """
(([tags, min]) => {
  if (window.__a11yAudit || window.top !== window) return;
  const label = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
      + ' «' + (e.innerText || e.value || '').trim().slice(0, 30) + '»';
  const inSentence = (e) => {
    // WCAG 2.5.5's exception: a link inside a sentence is sized by the line of text it sits in.
    const block = e.parentElement.closest('p, li, dd, td, figcaption, label, pre');
    return e.tagName === 'A' && block && block.innerText.trim().length > e.innerText.trim().length + 1;
  };
  const smallTargets = () => [...document.querySelectorAll(
      'a[href], button, summary, select, input:not([type=hidden]), textarea')]
    .map(e => (e.type === 'checkbox' || e.type === 'radio') && e.closest('label') ? e.closest('label') : e)
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > 0 && !inSentence(e) && !e.closest('[aria-hidden=true]'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width < min - 0.5 || r.height < min - 0.5; })
    .map(e => { const r = e.getBoundingClientRect(); return label(e) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height); });
  const once = async () => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    const found = result.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '
        + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    const small = [...new Set(smallTargets())];
    if (small.length) found.push('touch targets under ' + min + ' px: ' + small.slice(0, 6).join(' | '));
    return found;
  };
  // Announced as soon as the document is parsed, judged once its styles are in.
  const loaded = () => new Promise(done => {
    if (document.readyState === 'complete') return done();
    addEventListener('load', done);
    setTimeout(done, 3000);  // a page whose load waits on a held request is judged anyway
  });
  let queue = Promise.resolve();
  const doc = Math.random().toString(36).slice(2);  // tells this document's reports from its predecessor's
  window.__a11yAudit = () => {
    window.__a11yReport('start', doc, location.href, []);
    queue = queue.then(loaded).then(once).catch(e => ['audit failed: ' + e])
      .then(found => window.__a11yReport('done', doc, location.href, found));
    return queue;
  };
  document.addEventListener('DOMContentLoaded', window.__a11yAudit);
  document.addEventListener('htmx:afterSettle', window.__a11yAudit);
})
"""


def audit_now(page) -> None:
    """Audit a watched page as it is now and wait for the findings (a test's last state has no request after it)."""
    if page in _WATCHED and page.url.startswith("http"):
        page.evaluate("() => window.__a11yAudit && window.__a11yAudit()")


def watch_accessibility(page, problems: list[str], who: str) -> None:
    """Audit every page state before the browser leaves it; findings go to `problems`, once per page and finding."""
    seen: set[str] = set()
    # The document on screen, how many of its audits are running, and whether one of them has finished.
    shown = {"doc": None, "audits": 0, "judged": False}
    gone: set[str] = set()  # documents replaced by a newer one: a late report of theirs changes no count
    waiting: list = []

    def report(_source, what: str, doc: str, url: str, findings: list[str]) -> None:
        for finding in findings:
            key = url.split("?")[0] + finding
            if key not in seen:
                seen.add(key)
                problems.append(f"{who} accessibility on {url}: {finding}")
        if doc in gone:
            return
        if doc != shown["doc"]:  # a new document: nothing of its predecessor is left to wait for
            gone.add(shown["doc"])
            shown.update(doc=doc, audits=0, judged=False)
        shown["audits"] += 1 if what == "start" else -1
        shown["judged"] = shown["judged"] or what == "done"
        if shown["audits"] <= 0:
            release()

    def release() -> None:
        while waiting:
            route = waiting.pop(0)
            try:
                route.continue_()
            except Exception:  # noqa: BLE001  the page dropped that request meanwhile (htmx replaced it): the others still go
                continue

    def before_request(route, request) -> None:
        # A swap waits for the audit of what is shown now; leaving waits only until the page was judged once, since
        # Chromium can stall a later audit of a page it is leaving, and nothing would then release the navigation.
        swaps = "hx-request" in request.headers
        leaves = request.resource_type == "document" and not shown["judged"]
        if (swaps or leaves) and shown["audits"] > 0:
            waiting.append(route)
        else:
            route.continue_()

    page.expose_binding("__a11yReport", report)
    page.add_init_script(path=str(AXE))
    page.add_init_script(f"{AUDIT_SCRIPT}({[WCAG_TAGS, MIN_TARGET]!r})")
    page.route("**/*", before_request)
    _WATCHED.add(page)
