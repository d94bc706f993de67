"""Every htmx route answers a whole page or its partial through one helper, and tells caches the two differ."""
from __future__ import annotations

import pytest

from conftest import accept_one, ask
from consents.models import AskBatch, Consent
from consents.link_models import ShareLink
from consents.sharelinks import create_link

HX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _is_page(response) -> bool:
    """True for a whole HTML document, False for a fragment."""
    return "<html" in response.get_data(as_text=True)


@pytest.fixture
def routes(logged_in, sender_user):
    """One GET URL of every route that serves a page or its partial."""
    accept_one(logged_in)
    ask(logged_in, email="jean@example.fr", name="Jean")
    consent = Consent.query.order_by(Consent.id).first()
    return [
        "/gestionnaire", "/gestionnaire?q=marie&statut=accepted",
        f"/gestionnaire/contacts/{consent.id}",
        f"/gestionnaire/envois/{AskBatch.query.order_by(AskBatch.id).first().id}",
        "/gestionnaire/entonnoir",
    ]


def test_partial_for_htmx_whole_page_otherwise(logged_in, routes):
    for url in routes:
        assert _is_page(logged_in.get(url)), url
        assert not _is_page(logged_in.get(url, headers=HX)), url
        assert _is_page(logged_in.get(url, headers=BOOSTED)), url


def test_history_restore_gets_the_whole_page(logged_in, routes):
    # Going back to a searched manager page after htmx's history cache missed: a fragment there would be the
    # whole page's content, without its header, search box or styles.
    for url in routes:
        response = logged_in.get(url, headers=RESTORE)
        assert response.status_code == 200 and _is_page(response), url
        assert 'id="search-form"' in response.get_data(as_text=True) or "/gestionnaire?" not in url


def test_every_page_or_partial_varies_on_hx_request(logged_in, routes):
    for url in routes:
        for headers in ({}, HX, RESTORE):
            assert "HX-Request" in logged_in.get(url, headers=headers).headers.get("Vary", ""), (url, headers)


def test_posts_answered_with_a_partial_or_a_redirect(logged_in, sender_user):
    ask(logged_in)
    consent = Consent.query.one()
    plain = logged_in.post(f"/gestionnaire/contacts/{consent.id}/relancer")
    assert plain.status_code == 302
    link = create_link(sender_user, "Newsletter", lre=True, avis=False)
    toggled = logged_in.post(f"/gestionnaire/liens/{link.id}/activation", headers=HX)
    assert toggled.status_code == 200 and not _is_page(toggled) and 'id="link-toggle"' in toggled.get_data(as_text=True)
    assert ShareLink.query.one().active is False


def test_the_verifier_answers_its_partial_to_htmx(client):
    response = client.post("/verifier", headers=HX, data={})
    assert response.status_code == 422 and not _is_page(response)
    assert "HX-Request" in response.headers["Vary"]
    assert _is_page(client.post("/verifier", data={}))
