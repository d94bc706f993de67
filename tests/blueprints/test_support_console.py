"""The support console: search across senders, one recipient's consents, revocation on request with its trail."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from conftest import PASSWORD, accept_one, ask, make_sender
from consents.db import db
from consents.events import verify_chains
from consents.evidence_models import Proof
from consents.models import Consent, ConsentEvent, OutboundEmail, Sender
from consents.outbox import claim, mark_refused
from consents.staff_models import StaffAudit
from staff_helpers import signed_in_staff

MARIE = "marie.dupont@example.fr"


@pytest.fixture
def two_senders(app):
    """Marie accepted two senders' requests; returns each sender's logged-in client."""
    make_sender()
    make_sender("Syndic Bellevue", "syndic@bellevue.fr", siren="732829320")
    clients = []
    for email in ("gerant@martin-gestion.fr", "syndic@bellevue.fr"):
        client = app.test_client()
        assert client.post("/connexion", data={"email": email, "password": PASSWORD}).status_code == 302
        accept_one(client, email=MARIE)
        clients.append(client)
    return clients


@pytest.fixture
def staff_client(app, frozen_now):
    """A client signed in as support."""
    client = app.test_client()
    signed_in_staff(client, frozen_now)
    return client


def _actions() -> list[str]:
    return [row.action for row in StaffAudit.query.order_by(StaffAudit.id)]


def test_search_across_senders_by_email_prefix_name_sender_and_siren(two_senders, staff_client):
    both = staff_client.get("/support?champ=email&q=marie.du").get_data(as_text=True)
    assert "Cabinet Martin Gestion" in both and "Syndic Bellevue" in both and "2 consentements" in both
    assert "2 consentements" in staff_client.get("/support?champ=email&q=" + MARIE).get_data(as_text=True)
    assert "2 consentements" in staff_client.get("/support?champ=name&q=dupont").get_data(as_text=True)
    by_sender = staff_client.get("/support?champ=sender&q=bellevue").get_data(as_text=True)
    assert "Syndic Bellevue" in by_sender and "Cabinet Martin Gestion" not in by_sender
    assert "Syndic Bellevue" in staff_client.get("/support?champ=sender&q=732 829 320").get_data(as_text=True)
    assert "Aucun consentement" in staff_client.get("/support?champ=email&q=marie%25").get_data(as_text=True)
    assert "au moins 3 caractères" in staff_client.get("/support?champ=name&q=du").get_data(as_text=True)
    partial = staff_client.get("/support?champ=email&q=marie", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "Syndic Bellevue" in partial
    searches = StaffAudit.query.filter_by(action="search").order_by(StaffAudit.id).all()
    assert [s.target for s in searches][:2] == ["marie.du", MARIE] and searches[0].data["field"] == "email"


def test_support_revokes_both_consents_with_reason_and_each_sender_reads_it(two_senders, staff_client, frozen_now,
                                                                            app):
    consent = Consent.query.order_by(Consent.id).first()
    page = staff_client.get(f"/support/destinataires/{consent.id}").get_data(as_text=True)
    assert "Cabinet Martin Gestion" in page and "Syndic Bellevue" in page
    form = {"consent": [str(c.id) for c in Consent.query], "requested_on": frozen_now.now.date().isoformat(),
            "source": "email", "reference": "Ticket #4521", "reason": "Le destinataire préfère le papier partout"}
    confirm = staff_client.post(f"/support/destinataires/{consent.id}/revoquer", data=form)
    assert "Confirmer la révocation" in confirm.get_data(as_text=True)
    assert Consent.query.filter_by(status="revoked").count() == 0
    done = staff_client.post(f"/support/destinataires/{consent.id}/revoquer", data={**form, "confirm": "1"})
    assert done.status_code == 302
    assert Consent.query.filter_by(status="revoked").count() == 2
    events = ConsentEvent.query.filter_by(kind="revoked").all()
    assert {e.actor for e in events} == {"support"} and all(e.actor_user_id is None for e in events)
    assert all(e.data["reason"] == form["reason"] and e.data["reference"] == "Ticket #4521"
               and e.data["by"] == "support" and e.data["staff_id"] for e in events)
    emails = OutboundEmail.query.filter(OutboundEmail.kind.in_(("revocation", "support_revocation"))).all()
    assert sorted((e.kind, e.to) for e in emails) == [
        ("revocation", MARIE), ("revocation", MARIE),
        ("support_revocation", "gerant@martin-gestion.fr"), ("support_revocation", "syndic@bellevue.fr")]
    notice = next(e for e in emails if e.kind == "support_revocation")
    assert "Ticket #4521" in notice.text_body and "préfère le papier" in notice.text_body
    assert "le support de Consentement LRE" in next(e for e in emails if e.kind == "revocation").text_body
    for client, consent_row in zip(two_senders, Consent.query.order_by(Consent.id)):
        body = client.get(f"/gestionnaire/contacts/{consent_row.id}").get_data(as_text=True)
        assert "révoqué par le support le" in body and "motif : Le destinataire préfère le papier" in body
        assert "Ticket #4521" in body
        pdf = client.get(f"/gestionnaire/contacts/{consent_row.id}/preuve/certificat.pdf").data
        assert "RÉVOQUÉ par le support" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    status = app.test_client().get(f"/verifier/recu/{Proof.query.first().uuid}").get_data(as_text=True)
    assert "le support l&#39;a révoqué" in status or "le support l'a révoqué" in status
    revokes = StaffAudit.query.filter_by(action="revoke").all()
    assert len(revokes) == 2 and all(r.reason == form["reason"] and r.target == MARIE for r in revokes)
    assert {r.sender_id for r in revokes} == {s.id for s in Sender.query}
    assert verify_chains().breaks == []


def test_revocation_without_reason_or_reference_changes_nothing(two_senders, staff_client, frozen_now):
    consent = Consent.query.first()
    for missing in ("reason", "reference"):
        form = {"consent": [str(consent.id)], "requested_on": frozen_now.now.date().isoformat(), "source": "email",
                "reference": "T-1", "reason": "Demande écrite", "confirm": "1", missing: ""}
        response = staff_client.post(f"/support/destinataires/{consent.id}/revoquer", data=form)
        assert response.status_code == 422 and "Indiquez" in response.get_data(as_text=True)
    nothing = staff_client.post(f"/support/destinataires/{consent.id}/revoquer", data={
        "requested_on": frozen_now.now.date().isoformat(), "source": "email", "reference": "T-1", "reason": "x"})
    assert nothing.status_code == 422 and "au moins un consentement" in nothing.get_data(as_text=True)
    assert Consent.query.filter_by(status="revoked").count() == 0 and not _actions().count("revoke")


def test_resend_a_pending_request_and_clear_a_bounce(app, logged_in, staff_client):
    ask(logged_in, email="jean@example.fr", name="Jean")
    consent = Consent.query.one()
    assert staff_client.post(f"/support/consentements/{consent.id}/renvoyer").status_code == 302
    reminded = ConsentEvent.query.filter_by(kind="reminded").one()
    assert reminded.actor == "support" and OutboundEmail.query.filter_by(kind="reminder").count() == 1
    again = staff_client.post(f"/support/consentements/{consent.id}/renvoyer", follow_redirects=True)
    assert "moins de 24 heures" in again.get_data(as_text=True)
    mark_refused(claim(OutboundEmail.query.filter_by(kind="reminder").one().id), "550 no such user")
    assert db.session.get(Consent, consent.id).bounced_at is not None
    refused = staff_client.post(f"/support/consentements/{consent.id}/adresse-valide", data={"reason": ""},
                                follow_redirects=True)
    assert "Indiquez comment" in refused.get_data(as_text=True)
    staff_client.post(f"/support/consentements/{consent.id}/adresse-valide",
                      data={"reason": "Confirmée au téléphone le 30/11"})
    db.session.expire_all()
    assert db.session.get(Consent, consent.id).bounced_at is None
    history = logged_in.get(f"/gestionnaire/contacts/{consent.id}").get_data(as_text=True)
    assert "Adresse confirmée" in history and "Confirmée au téléphone" in history and "par le support" in history
    assert [a for a in _actions() if a in ("resend", "clear_bounce")] == ["resend", "clear_bounce"]
    assert verify_chains().breaks == []


def test_a_senders_manager_read_only(two_senders, staff_client):
    sender = Sender.query.filter_by(legal_name="Syndic Bellevue").one()
    page = staff_client.get(f"/support/expediteurs/{sender.id}?statut=accepted").get_data(as_text=True)
    assert MARIE in page and "lecture seule" in page and 'method="post"' not in page.split("<main")[1]
    assert StaffAudit.query.filter_by(action="view_sender").one().sender_id == sender.id
    assert staff_client.get("/support/expediteurs/999999").status_code == 404


def test_every_view_of_personal_data_is_audited_with_ip(two_senders, staff_client):
    consent = Consent.query.first()
    staff_client.get(f"/support/destinataires/{consent.id}", environ_base={"REMOTE_ADDR": "192.0.2.44"})
    row = StaffAudit.query.filter_by(action="view_recipient").one()
    assert row.ip == "192.0.2.44" and row.target == MARIE and row.consent_id == consent.id and row.staff_id


def test_admin_adds_and_disables_staff_and_reads_and_exports_the_audit_log(app, frozen_now, two_senders):
    admin = app.test_client()
    signed_in_staff(admin, frozen_now, email="chef@consentement-lre.fr", role="admin")
    created = admin.post("/support/equipe", data={"email": "nouveau@consentement-lre.fr", "role": "support"})
    assert "/support/activer/" in created.get_data(as_text=True)
    member = StaffAudit.query.filter_by(action="staff_create").one()
    assert member.target == "nouveau@consentement-lre.fr"
    duplicate = admin.post("/support/equipe", data={"email": "nouveau@consentement-lre.fr", "role": "support"})
    assert duplicate.status_code == 422
    staff_id = member.data["staff_id"]
    assert admin.post(f"/support/equipe/{staff_id}/desactiver").status_code == 302
    assert "Désactivé le" in admin.get("/support/equipe").get_data(as_text=True)
    admin.get("/support?champ=email&q=marie")
    log = admin.get("/support/journal?action=search").get_data(as_text=True)
    assert "marie" in log and "staff_create" not in log.split("<tbody>")[1]
    export = admin.get("/support/journal.csv?action=staff_disable")
    lines = export.get_data(as_text=True).splitlines()
    assert export.mimetype == "text/csv" and lines[0].startswith("\ufeffdate;membre") and len(lines) == 2
    assert "nouveau@consentement-lre.fr" in lines[1]
    assert {"audit_read", "audit_export"} <= set(_actions())


def test_the_audit_log_refuses_update_and_delete(app, staff_client):
    assert StaffAudit.query.count() >= 2
    for statement in ("UPDATE staff_audit SET reason = 'effacé'", "DELETE FROM staff_audit"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert StaffAudit.query.count() >= 2 and not StaffAudit.query.filter_by(reason="effacé").count()


def test_contact_email_prefix_search_uses_its_index_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    db.session.execute(text("SET enable_seqscan = off"))
    plan = "\n".join(db.session.execute(text(
        "EXPLAIN SELECT id FROM contact WHERE email LIKE 'marie%'")).scalars())
    assert "ix_contact_email_prefix" in plan, plan


def test_a_search_matching_too_many_asks_for_a_narrower_one(two_senders, staff_client, monkeypatch):
    import consents.support_queries as support_queries

    monkeypatch.setattr(support_queries, "MAX_MATCHES", 1)
    page = staff_client.get("/support?champ=email&q=marie").get_data(as_text=True)
    assert "Précisez la recherche" in page and page.count("<tr>") == 2  # the header row and one result
