"""The manager: asking, listing, filtering, searching, pagination, contact page and isolation."""
from datetime import timedelta

import pytest

from conftest import ask, login, make_sender
from consents import clock
from consents.db import db
from consents.lifecycle import request_consents
from consents.models import Consent, ConsentRequest, OutboundEmail
from consents.rules import Recipient


def test_ask_one_shows_outcome_and_queues_email(logged_in):
    response = ask(logged_in)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 demande enregistrée" in body and "marie.dupont@example.fr" in body
    assert OutboundEmail.query.count() == 1


@pytest.mark.parametrize("delay", ["2", "31", "abc"])
def test_delay_out_of_range_is_a_clear_error(logged_in, delay):
    response = ask(logged_in, delay=delay)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "entre 3 et 30 jours" in body or "entier" in body or "nombre" in body
    assert Consent.query.count() == 0


def test_bad_email_is_reported(logged_in):
    response = ask(logged_in, email="marie@")
    assert response.status_code == 422 and "invalide" in response.get_data(as_text=True)


def test_already_accepted_and_pending_are_told(logged_in, sender_user):
    ask(logged_in)
    second = ask(logged_in).get_data(as_text=True)
    assert "déjà en attente" in second
    Consent.query.one().status = "accepted"
    db.session.commit()
    third = ask(logged_in).get_data(as_text=True)
    assert "Déjà accepté" in third
    assert ConsentRequest.query.count() == 1


def test_professional_lre_notice(logged_in):
    warned = ask(logged_in, email="contact@sarl.example.fr", kind="professionnel", scope="lre").get_data(as_text=True)
    assert "la loi n'exige pas son consentement" in warned and OutboundEmail.query.count() == 0
    body = logged_in.post("/gestionnaire/demander", data={
        "email": "contact@sarl.example.fr", "kind": "professionnel", "scope": "lre", "delay": "15",
        "professionals": "ask"}).get_data(as_text=True)
    assert "professionnel n'a pas à consentir" in body and OutboundEmail.query.count() == 1


def test_ask_many_processes_good_lines_and_reports_bad_ones(logged_in):
    text = "a@example.fr;A;particulier\nbad-line\nb@example.fr;B;administration\nc@example;C;particulier\n"
    response = logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "both", "delay": "20"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 demandes enregistrées" in body and "2 lignes ignorées" in body
    assert "Ligne 2" in body and "Ligne 4" in body
    assert {c.contact.email for c in Consent.query} == {"a@example.fr", "b@example.fr"}
    assert all(c.scope_lre and c.scope_avis for c in Consent.query)


def test_ask_many_with_only_bad_lines_writes_nothing(logged_in):
    response = logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": "x\ny", "scope": "lre", "delay": "10"})
    assert response.status_code == 422 and "Aucune ligne valide" in response.get_data(as_text=True)
    assert Consent.query.count() == 0


def test_ask_many_over_1000_lines_is_refused(logged_in):
    text = "\n".join(f"p{i}@example.fr;P;particulier" for i in range(1001))
    response = logged_in.post("/gestionnaire/demander-plusieurs", data={"recipients": text, "scope": "lre", "delay": "10"})
    assert response.status_code == 422 and "1000 lignes" in response.get_data(as_text=True)
    assert Consent.query.count() == 0


def _seed(user, n, **kwargs):
    recipients = [Recipient(f"dest{i:03d}@example.fr", f"Destinataire {i:03d}", "particulier") for i in range(n)]
    return request_consents(user.sender, user, recipients, 10, lre=True, avis=False)


def test_manager_page_versus_partial(logged_in, sender_user):
    _seed(sender_user, 3)
    full = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert "<html" in full and 'id="consents"' in full and "dest000@example.fr" in full
    partial = logged_in.get("/gestionnaire", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "dest000@example.fr" in partial and 'class="tabs"' in partial
    boosted = logged_in.get("/gestionnaire", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_manager_counts_filter_and_search(logged_in, sender_user):
    _seed(sender_user, 5)
    first = Consent.query.order_by(Consent.id).first()
    first.status = "accepted"
    db.session.commit()
    body = logged_in.get("/gestionnaire?statut=accepted").get_data(as_text=True)
    assert "dest000@example.fr" in body and "dest001@example.fr" not in body
    pending = logged_in.get("/gestionnaire?statut=pending", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "dest000@example.fr" not in pending and "dest004@example.fr" in pending
    search = logged_in.get("/gestionnaire?q=DESTINATAIRE+003", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "dest003@example.fr" in search and "dest002@example.fr" not in search
    none = logged_in.get("/gestionnaire?q=100%25").get_data(as_text=True)
    assert "Aucun consentement ne correspond" in none


def test_manager_paginates_newest_change_first(logged_in, sender_user, frozen_now):
    for i in range(30):
        frozen_now.advance(minutes=1)
        request_consents(sender_user.sender, sender_user,
                         [Recipient(f"p{i:02d}@example.fr", "", "particulier")], 10, lre=True, avis=False)
    page1 = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert "p29@example.fr" in page1 and "p04@example.fr" not in page1 and "Page 1 sur 2" in page1
    page2 = logged_in.get("/gestionnaire?page=2").get_data(as_text=True)
    assert "p04@example.fr" in page2 and "p29@example.fr" not in page2
    assert "Page 2 sur 2" in logged_in.get("/gestionnaire?page=999").get_data(as_text=True)


def test_manager_shows_days_left_for_pending(logged_in, sender_user):
    _seed(sender_user, 1)
    assert "10 jours restants" in logged_in.get("/gestionnaire").get_data(as_text=True)


def test_contact_page_shows_history_page_and_partial(logged_in, sender_user):
    ask(logged_in)
    consent = Consent.query.one()
    full = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "<html" in full and "Historique" in full and "Demande créée" in full and "gerant@martin-gestion.fr" in full
    partial = logged_in.get(f"/gestionnaire/contacts/{consent.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "Historique" in partial


def test_remind_once_per_24_hours(logged_in, sender_user):
    ask(logged_in)
    consent = Consent.query.one()
    first = logged_in.post(f"/gestionnaire/contacts/{consent.id}/relancer", headers={"HX-Request": "true"})
    assert "Relance envoyée" in first.get_data(as_text=True) and "<html" not in first.get_data(as_text=True)
    second = logged_in.post(f"/gestionnaire/contacts/{consent.id}/relancer", follow_redirects=True)
    assert "moins de 24 heures" in second.get_data(as_text=True)
    assert OutboundEmail.query.filter_by(kind="reminder").count() == 1


def test_another_senders_consent_is_404(client, sender_user):
    other = make_sender("Autre Syndic", "autre@syndic.example.fr")
    request_consents(other.sender, other, [Recipient("x@example.fr", "X", "particulier")], 10, lre=True, avis=False)
    foreign = Consent.query.one()
    login(client)
    assert client.get(f"/gestionnaire/contacts/{foreign.id}").status_code == 404
    assert client.post(f"/gestionnaire/contacts/{foreign.id}/relancer").status_code == 404
    assert "x@example.fr" not in client.get("/gestionnaire?q=x").get_data(as_text=True)
    assert OutboundEmail.query.filter_by(kind="reminder").count() == 0


def test_manager_requires_login(client):
    response = client.get("/gestionnaire")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_expired_shows_as_refused_in_manager(logged_in, sender_user):
    _seed(sender_user, 1)
    consent = Consent.query.one()
    consent.deadline = clock.now() - timedelta(seconds=1)
    db.session.commit()
    body = logged_in.get("/gestionnaire?statut=refused").get_data(as_text=True)
    assert "dest000@example.fr" in body and "délai expiré" in body
