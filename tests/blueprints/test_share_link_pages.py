"""Share links end to end: creation, landing, double opt-in, numbers, kit, QR codes, abuse limits."""
import re
import shutil
import subprocess
from datetime import date

import pytest

from app import create_app
from conftest import ask, latest_email, login, make_sender, without_csrf
from consents.db import db
from consents.models import ACCEPTED, REFUSED, Consent, ConsentEvent, ConsentRequest, Contact, OutboundEmail
from consents.link_models import LinkConfirmation, ShareLink


def _create(client, label="Newsletter mars", scope="lre"):
    response = client.post("/gestionnaire/liens", data={"label": label, "scope": scope})
    assert response.status_code == 302
    return ShareLink.query.filter_by(label=label).one()


def _landing(client, link, email="paul.martin@example.fr", name="Paul Martin", kind="particulier"):
    return client.post(f"/l/{link.slug}", data={"email": email, "name": name, "kind": kind})


def _confirmation_path(email_row):
    match = re.search(r"http://consent\.test(/l/c/[A-Za-z0-9_\-]+)", email_row.sent_text)
    assert match, email_row.sent_text
    return match.group(1)


def test_create_link_with_random_slug_and_switch_it_off(logged_in, client):
    link = _create(logged_in)
    other = _create(logged_in, label="Site web", scope="both")
    assert len(link.slug) >= 12 and link.slug != other.slug and link.active
    page = client.get(f"/l/{link.slug}")
    assert page.status_code == 200 and "Cabinet Martin Gestion" in page.get_data(as_text=True)
    off = logged_in.post(f"/gestionnaire/liens/{link.id}/activation", headers={"HX-Request": "true"})
    assert "Réactiver le lien" in off.get_data(as_text=True) and "<html" not in off.get_data(as_text=True)
    closed = client.get(f"/l/{link.slug}")
    assert closed.status_code == 410 and "plus actif" in closed.get_data(as_text=True)
    assert _landing(client, link).status_code == 410
    assert client.get("/l/not-a-real-slug").status_code == 404


def test_landing_then_confirmation_then_accept(logged_in, client, run_jobs, mail_outbox):
    link = _create(logged_in)
    logged_in.post("/deconnexion")
    page = _landing(client, link)
    assert "Vérifiez votre boîte mail" in page.get_data(as_text=True)
    assert Consent.query.count() == 0 and Contact.query.count() == 0  # a form alone creates nothing
    run_jobs()
    [message] = mail_outbox
    assert message.to == ["paul.martin@example.fr"] and "Confirmez" in message.subject
    path = _confirmation_path(latest_email("link_confirmation"))
    shown = client.get(path).get_data(as_text=True)
    assert "Cabinet Martin Gestion" in shown and "paul.martin@example.fr" in shown and "Je refuse" in shown
    accepted = client.post(path, data={"reponse": "accepter"}, environ_base={"REMOTE_ADDR": "198.51.100.4"},
                           follow_redirects=True)
    assert "Vous avez accepté" in accepted.get_data(as_text=True)
    consent = Consent.query.one()
    assert consent.status == ACCEPTED and consent.channel == "lien"
    request = ConsentRequest.query.one()
    assert request.link_id == link.id and request.channel == "lien"
    kinds = [e.kind for e in ConsentEvent.query.filter_by(consent_id=consent.id).order_by(ConsentEvent.id)]
    assert kinds[:2] == ["requested", "accepted"]
    accepted_event = ConsentEvent.query.filter_by(kind="accepted").one()
    assert accepted_event.ip == "198.51.100.4" and len(accepted_event.data["text_sha256"]) == 64
    again = client.post(path, data={"reponse": "refuser"}, follow_redirects=True)
    assert "Vous avez accepté" in again.get_data(as_text=True) and Consent.query.one().status == ACCEPTED
    run_jobs()
    receipts = [m for m in mail_outbox if m.to == ["paul.martin@example.fr"] and "reçu" in m.subject.lower()]
    assert len(receipts) == 1 and receipts[0].attachments  # the signed receipt, PDF attached, sent once
    login(client)
    listed = client.get(f"/gestionnaire?lien={link.id}").get_data(as_text=True)
    assert "paul.martin@example.fr" in listed and "Newsletter mars" in listed


def test_expired_confirmation_takes_no_answer(logged_in, client, frozen_now):
    link = _create(logged_in)
    _landing(client, link)
    path = _confirmation_path(latest_email("link_confirmation"))
    frozen_now.advance(days=7, minutes=1)
    assert "a expiré" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"reponse": "accepter"})
    assert response.status_code == 410 and Consent.query.count() == 0


def test_already_accepted_is_told_by_email_not_by_the_page(logged_in, client):
    link = _create(logged_in)
    _landing(client, link, email="known@example.fr")
    client.post(_confirmation_path(latest_email("link_confirmation")), data={"reponse": "accepter"})
    known = _landing(client, link, email="known@example.fr").get_data(as_text=True)
    unknown = _landing(client, link, email="unknown@example.fr").get_data(as_text=True)
    assert without_csrf(known) == without_csrf(unknown)
    assert latest_email("link_already").to == "known@example.fr"
    assert "déjà enregistré" in latest_email("link_already").sent_text
    assert LinkConfirmation.query.filter_by(email="known@example.fr").count() == 1


def test_a_refusal_stays_until_the_owner_answers(logged_in, client):
    link = _create(logged_in)
    ask(logged_in, email="refuser@example.fr")
    request = ConsentRequest.query.one()
    consent = request.consent
    consent.status, request.answer = REFUSED, REFUSED
    db.session.commit()
    _landing(client, link, email="refuser@example.fr")
    assert Consent.query.one().status == REFUSED  # the form did not overturn it
    client.post(_confirmation_path(latest_email("link_confirmation")), data={"reponse": "accepter"})
    assert Consent.query.one().status == ACCEPTED
    kinds = [e.kind for e in ConsentEvent.query.order_by(ConsentEvent.id)]
    assert kinds[0] == "requested" and kinds[-1] == "accepted" and kinds.count("requested") == 2


def test_numbers_chart_and_kit(logged_in, client):
    link = _create(logged_in)
    empty = logged_in.get(f"/gestionnaire/liens/{link.id}").get_data(as_text=True)
    assert '<div class="daily-plot"' in empty and 'class="bar-' not in empty
    for _ in range(3):
        client.get(f"/l/{link.slug}")
    _landing(client, link, email="a@example.fr")
    client.post(_confirmation_path(latest_email("link_confirmation")), data={"reponse": "accepter"})
    _landing(client, link, email="b@example.fr")
    page = logged_in.get(f"/gestionnaire/liens/{link.id}").get_data(as_text=True)
    numbers = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert numbers["Visites"] == "3" and numbers["Confirmations envoyées"] == "2"
    assert numbers["Consentements obtenus"] == "1" and numbers["Taux d'acceptation"].startswith("50")
    assert page.count('<rect x=') == 3  # today's visits, confirmations and consents
    assert _table_rows(page)[0][1:] == ["3", "2", "1"] and len(_table_rows(page)) == 30
    button = re.search(r'<textarea id="kit-button"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "&lt;script" not in button.lower() and "&lt;style" not in button.lower() and "class=" not in button
    assert f"http://consent.test/l/{link.slug}" in button and "style=" in button
    listing = logged_in.get("/gestionnaire/liens").get_data(as_text=True)
    assert "Newsletter mars" in listing and "3 visites" in listing and "1 consentement obtenu" in listing


def _table_rows(page: str) -> list[list[str]]:
    """The chart's table, newest day first: the day, then each series' value."""
    body = re.search(r'<table class="daily-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_chart_with_many_days_has_dated_axis_and_table(logged_in, client, frozen_now):
    frozen_now.advance(days=(date(2026, 11, 30) - frozen_now.now.date()).days)
    link = _create(logged_in)
    frozen_now.advance(days=-4)
    for visits in (1, 2, 0, 3, 1):  # 26 to 30 November
        for _ in range(visits):
            client.get(f"/l/{link.slug}")
        frozen_now.advance(days=1)
    frozen_now.advance(days=-1)
    page = logged_in.get(f"/gestionnaire/liens/{link.id}").get_data(as_text=True)
    assert page.count("<rect x=") == 4
    axis = re.search(r'<div class="daily-x">(.*?)</div>', page, re.S).group(1)
    # Dated ticks a week apart, ending today; the scale's top is the busiest day.
    ticks = re.findall(r"<span><span>([^<]+)</span></span>", axis)
    assert ticks == ["2 nov.", "9 nov.", "16 nov.", "23 nov.", "30 nov."]
    assert re.search(r'<div class="daily-y"><span>3</span><span>0</span></div>', page)
    rows = _table_rows(page)
    assert [row[1] for row in rows[:5]] == ["1", "3", "0", "2", "1"] and rows[0][0] == "lun. 30 nov."
    english = logged_in.get(f"/gestionnaire/liens/{link.id}", headers={"Accept-Language": "en"})
    assert "<span><span>Nov 30</span></span>" in english.get_data(as_text=True)


@pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("rsvg-convert")),
                    reason="zbarimg and rsvg-convert (Debian zbar-tools, librsvg2-bin) decode the QR codes")
def test_qr_codes_decode_to_the_link(logged_in, tmp_path):
    link = _create(logged_in)
    url = f"http://consent.test/l/{link.slug}"
    png = logged_in.get(f"/gestionnaire/liens/{link.id}/qr.png")
    svg = logged_in.get(f"/gestionnaire/liens/{link.id}/qr.svg")
    assert png.mimetype == "image/png" and "attachment" in png.headers["Content-Disposition"]
    assert svg.mimetype == "image/svg+xml"
    (tmp_path / "qr.png").write_bytes(png.data)
    (tmp_path / "qr.svg").write_bytes(svg.data)
    subprocess.run(["rsvg-convert", "-w", "400", "-b", "white", str(tmp_path / "qr.svg"), "-o",
                    str(tmp_path / "svg.png")], check=True)
    for name in ("qr.png", "svg.png"):
        decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / name)], capture_output=True, text=True)
        assert decoded.stdout.strip() == url


def test_other_senders_links_are_404(client, logged_in):
    link = _create(logged_in)
    logged_in.post("/deconnexion")
    make_sender("Autre", "autre@syndic.example.fr")
    login(client, email="autre@syndic.example.fr")
    for path in (f"/gestionnaire/liens/{link.id}", f"/gestionnaire/liens/{link.id}/qr.png"):
        assert client.get(path).status_code == 404
    assert client.post(f"/gestionnaire/liens/{link.id}/activation").status_code == 404
    assert "/gestionnaire/liens/" not in client.get("/gestionnaire/liens").get_data(as_text=True)
    assert "Newsletter" not in client.get(f"/gestionnaire?lien={link.id}").get_data(as_text=True)


def test_landing_is_rate_limited_per_ip_and_per_address(app_config, logged_in):
    link = _create(logged_in)
    limited = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        visitor = limited.test_client()
        same_address = [_landing(visitor, link, email="victim@example.fr").status_code for _ in range(4)]
        assert same_address[:3] == [200, 200, 200] and same_address[3] == 429
        assert "Trop de demandes" in _landing(visitor, link, email="victim@example.fr").get_data(as_text=True)
        many = [_landing(visitor, link, email=f"p{i}@example.fr").status_code for i in range(8)]
        assert 429 in many
        db.session.remove()
    assert LinkConfirmation.query.filter_by(email="victim@example.fr").count() == 3


def test_bad_landing_input_is_explained(logged_in, client):
    link = _create(logged_in)
    response = _landing(client, link, email="pas-une-adresse")
    assert response.status_code == 422 and "invalide" in response.get_data(as_text=True)
    assert LinkConfirmation.query.count() == 0 and OutboundEmail.query.count() == 0
