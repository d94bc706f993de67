"""Every kind of history event, written through every path that writes it, comes out of one writer:
one chain that `flask evidence verify` accepts, and one time format."""
from __future__ import annotations

import re

from conftest import accept_one, ask, latest_email, link_from
from consents.deadlines import expire_overdue, send_due_reminders
from consents.models import Consent, ConsentEvent, Contact, OutboundEmail
from consents.outbox import claim, mark_refused
from consents.receipts import history_document
from consents.sharelinks import create_link
from consents.staff import create_staff
from consents.support import clear_bounce, revoke_on_request
from jobs.dispatch import dispatch

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
TIME_FIELDS = ("deadline", "submitted_at")


def _consent(email: str) -> Consent:
    """The consent of one address."""
    return Consent.query.join(Contact).filter(Contact.email == email).one()


def _withdraw_path(email: OutboundEmail) -> str:
    """The withdrawal link of a receipt email."""
    return re.search(r"http://consent\.test(/retrait/[A-Za-z0-9_\-]+)", email.sent_text).group(1)


def test_every_kind_through_every_path_chains_and_reads_alike(app, logged_in, client, sender_user, frozen_now,
                                                               run_jobs, mail_outbox):
    # Email request: requested, sent (by the worker), opened, accepted; then a withdrawal request.
    accept_one(logged_in, email="marie@example.fr")
    run_jobs()
    logged_in.post(_withdraw_path(latest_email("receipt")), data={"message": "Je préfère le papier."})
    # Opened then refused; reminded by the sender and automatically; bounced by the mail server.
    ask(logged_in, email="jean@example.fr", name="Jean")
    jean_link = link_from(latest_email("request").sent_text)
    client.get(jean_link)
    client.post(jean_link, data={"reponse": "refuser"})
    logged_in.post("/gestionnaire/demander", data={"email": "lea@example.fr", "name": "Léa", "kind": "particulier",
                                                   "scope": "lre", "delay": "10", "reminders": "y"})
    logged_in.post(f"/gestionnaire/contacts/{_consent('lea@example.fr').id}/relancer")
    frozen_now.advance(days=8)
    dispatch(send_due_reminders())
    ask(logged_in, email="bounce@example.fr", name="Bounce")
    mark_refused(claim(latest_email("request").id), "550 5.1.1 no such user")
    # Support: the address confirmed lifts the bounce; the recipient's request revokes Marie's consent.
    staff, _token = create_staff("agent@consentement-lre.fr", "support")
    clear_bounce(staff, _consent("bounce@example.fr"), reason="Confirmée au téléphone", ip="192.0.2.9")
    dispatch(revoke_on_request(staff, [_consent("marie@example.fr")], requested_on=frozen_now.now.date(),
                               source="email", reference="T-1", reason="Demande écrite", ip="192.0.2.9"))
    # Expiry at a new ask of an expired consent, and by the nightly batch.
    ask(logged_in, email="paul@example.fr", name="Paul", delay="3")
    ask(logged_in, email="zoe@example.fr", name="Zoé", delay="3")
    frozen_now.advance(days=4)
    ask(logged_in, email="zoe@example.fr", name="Zoé")
    expire_overdue()
    # Share link: the owner confirms, which writes its own «requested» and the acceptance.
    link = create_link(sender_user, "Newsletter", lre=True, avis=False)
    client.post(f"/l/{link.slug}", data={"email": "ines@example.fr", "name": "Inès", "kind": "particulier"})
    confirm = re.search(r"http://consent\.test(/l/c/[A-Za-z0-9_\-]+)", latest_email("link_confirmation").sent_text)
    client.post(confirm.group(1), data={"reponse": "accepter"})
    # Paper chosen: on an LRO request's page, and from a receipt's link after a consent.
    address = {"line1": "3 place du Marché", "line2": "", "postcode": "20000", "town": "Ajaccio"}
    logged_in.post("/gestionnaire/demander", data={"email": "eve@example.fr", "name": "Ève", "kind": "particulier",
                                                   "mode": "lro", "scope": "lre", "delay": "10"})
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "papier", **address})
    logged_in.post(_withdraw_path(latest_email("receipt")) + "/papier", data=address)
    run_jobs()

    events = ConsentEvent.query.order_by(ConsentEvent.id).all()
    kinds = {e.kind for e in events}
    assert kinds == {"requested", "sent", "opened", "accepted", "refused", "withdrawal_requested", "reminded",
                     "bounced", "expired", "bounce_cleared", "revoked", "paper_chosen"}
    assert {e.consent_id for e in events if e.kind == "paper_chosen"} == {
        _consent("eve@example.fr").id, _consent("ines@example.fr").id}
    zoe = [e.kind for e in events if e.consent_id == _consent("zoe@example.fr").id and e.kind != "sent"]
    assert zoe == ["requested", "expired", "requested"]
    assert "expired" in [e.kind for e in events if e.consent_id == _consent("paul@example.fr").id]
    assert any(e.kind == "requested" and e.data.get("channel") == "lien" for e in events)
    assert any(e.kind == "reminded" and e.data.get("automatic") for e in events)

    result = app.test_cli_runner().invoke(args=["evidence", "verify"])
    assert result.exit_code == 0 and "Historique intact" in result.output, result.output

    times = []
    for consent in Consent.query.all():
        for event in history_document(consent)["events"]:
            times.append(event["createdAt"])
            times += [event["data"][key] for key in TIME_FIELDS if key in event["data"]]
    assert len(times) > len(events) and all(TIME.match(t) for t in times), [t for t in times if not TIME.match(t)]
