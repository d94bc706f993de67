"""Public pages kept in Redis: always the visitor's own CSRF token, never a stale answer, visits never lost."""
import re

import pytest
from flask import g

from app import create_app
from blueprints import pagecache
from conftest import ask, latest_email, link_from
from consents.db import db
from consents.models import ConsentEvent, LinkVisit, ShareLink
from consents.sharelinks import link_numbers
from consents.visits import flush_visits
from jobs.queue import get_redis

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _request_path(logged_in):
    ask(logged_in)
    path = link_from(latest_email().text_body)
    logged_in.post("/deconnexion")
    return path


def _kept_pages():
    return sorted(key.decode() for key in get_redis().scan_iter("page:*"))


@pytest.fixture
def csrf_app(app_config):
    application = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    application.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with application.app_context():
        yield application


def test_each_visitor_of_a_kept_page_gets_a_token_that_works(logged_in, csrf_app):
    path = _request_path(logged_in)
    first, second = csrf_app.test_client(), csrf_app.test_client()
    first_page = first.get(path).get_data(as_text=True)
    assert len(_kept_pages()) == 1
    second_page = second.get(path).get_data(as_text=True)  # served from the kept page
    token_one, token_two = TOKEN.search(first_page).group(1), TOKEN.search(second_page).group(1)
    assert token_one != token_two and "csrf-token" not in second_page
    assert f'"X-CSRFToken": "{token_two}"' in second_page
    assert second.post(path, data={"reponse": "accepter", "csrf_token": token_one}).status_code == 400
    answered = second.post(path, data={"reponse": "accepter", "csrf_token": token_two})
    assert answered.status_code == 200 and "Vous avez accepté" in answered.get_data(as_text=True)


def test_an_answer_replaces_the_kept_form_at_once(logged_in, client):
    path = _request_path(logged_in)
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    client.post(path, data={"reponse": "refuser"})
    again = client.get(path).get_data(as_text=True)
    assert "Vous avez refusé" in again and "Je refuse" not in again
    assert ConsentEvent.query.filter_by(kind="opened").count() == 1


def test_a_kept_form_is_not_shown_after_the_deadline(logged_in, client, frozen_now):
    path = _request_path(logged_in)
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    frozen_now.advance(days=15, minutes=1)
    page = client.get(path).get_data(as_text=True)
    assert "a expiré" in page and "Je refuse" not in page


def test_kept_pages_follow_the_visitors_language(logged_in, client):
    path = _request_path(logged_in)
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "I refuse" in english and 'lang="en"' in english
    assert "Je refuse" in client.get(path).get_data(as_text=True)


def test_a_signed_in_sender_gets_their_own_page(logged_in, client):
    ask(logged_in)
    path = link_from(latest_email().text_body)
    client.get(path)  # signed in: rendered for them, not kept
    assert _kept_pages() == []


def test_landing_visits_counted_from_kept_pages_and_stored_by_the_job(logged_in, client):
    logged_in.post("/gestionnaire/liens", data={"label": "Newsletter", "scope": "lre"})
    link = ShareLink.query.one()
    logged_in.post("/deconnexion")
    for _ in range(3):  # rendered, then read from Redis, then from this process's memory
        assert client.get(f"/l/{link.slug}?utm_source=newsletter").status_code == 200
    pagecache.add_noted_visits()  # what the process's flusher thread does every second
    assert len(_kept_pages()) == 1 and link_numbers(link).visits == 3
    assert LinkVisit.query.count() == 0
    assert flush_visits() == 3
    db.session.expire_all()
    assert LinkVisit.query.one().visits == 3 and link_numbers(link).visits == 3
    client.get(f"/l/{link.slug}")
    pagecache.add_noted_visits()
    assert flush_visits() == 1 and flush_visits() == 0
    db.session.expire_all()
    assert LinkVisit.query.one().visits == 4


def test_switching_a_link_off_closes_its_kept_page_at_once(logged_in, client):
    logged_in.post("/gestionnaire/liens", data={"label": "Site web", "scope": "both"})
    link = ShareLink.query.one()
    assert client.get(f"/l/{link.slug}").status_code == 200
    logged_in.post(f"/gestionnaire/liens/{link.id}/activation")
    logged_in.post("/deconnexion")
    assert client.get(f"/l/{link.slug}").status_code == 410


def test_pages_still_served_when_redis_is_down(logged_in, client, monkeypatch):
    import redis

    import blueprints.pagecache
    import consents.visits

    path = _request_path(logged_in)

    class Down:
        def __getattr__(self, _name):
            def fail(*_args, **_kwargs):
                raise redis.ConnectionError("down")
            return fail

    monkeypatch.setattr(blueprints.pagecache, "get_redis", lambda: Down())
    monkeypatch.setattr(consents.visits, "get_redis", lambda: Down())
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    logged_in.post("/connexion", data={"email": "gerant@martin-gestion.fr", "password": "un-mot-de-passe-solide"})
    logged_in.post("/gestionnaire/liens", data={"label": "Site web", "scope": "both"})
    link = ShareLink.query.one()
    logged_in.post("/deconnexion")
    assert client.get(f"/l/{link.slug}").status_code == 200
    db.session.expire_all()
    assert LinkVisit.query.one().visits == 1  # counted straight into the database


def test_a_page_rendered_before_a_change_is_never_kept_after_it(app):
    from datetime import timedelta

    from consents import clock

    def render():
        return pagecache.render_and_keep("c", "racing", "errors/error.html", until=clock.now() + timedelta(hours=1),
                                         status=200, title="Titre", message="Message")

    with app.test_request_context("/c/racing"):
        assert pagecache.fetch("c", "racing") is None  # reads the generation, then the database would be read
        pagecache.forget("c", "racing")  # meanwhile the recipient answers
        render()
    with app.test_request_context("/c/racing"):
        assert pagecache.fetch("c", "racing") is None  # the stale render was not kept
        render()
    with app.test_request_context("/c/racing"):
        assert "Message" in pagecache.fetch("c", "racing")[0]


def test_a_process_serves_a_page_from_memory_for_a_moment(logged_in, client, monkeypatch):
    path = _request_path(logged_in)
    client.get(path)  # shows the «logged out» message: rendered for this visitor only
    client.get(path)  # rendered and kept in Redis
    client.get(path)  # read from Redis, kept in memory
    get_redis().delete(*_kept_pages())
    assert "Je refuse" in client.get(path).get_data(as_text=True) and _kept_pages() == []  # from memory
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: 10.0 ** 12)  # a few seconds later
    assert "Je refuse" in client.get(path).get_data(as_text=True)
    assert len(_kept_pages()) == 1  # memory expired: asked Redis, found nothing, rendered and kept it anew


def test_visits_job_runs_from_the_command_line(app, logged_in, client):
    logged_in.post("/gestionnaire/liens", data={"label": "Affiche", "scope": "lre"})
    link = ShareLink.query.one()
    logged_in.post("/deconnexion")
    client.get(f"/l/{link.slug}")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "visits"])
    assert result.exit_code == 0 and "visits: 1" in result.output
    db.session.expire_all()
    assert LinkVisit.query.one().visits == 1
