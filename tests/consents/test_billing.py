"""Billing: one charge per consent obtained through the platform, VAT on the month's total, statements closed once."""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from conftest import PG_URL, accept_one, ask, latest_email, link_from, login, make_sender
from consents.billing import close_month, month_of, month_totals, totals_for, utc_bounds
from consents.billing_models import Charge, Statement
from consents.db import db
from consents.evidence_models import Proof
from consents.imports import RECORD, choose_action, run_import, upload_import
from consents.link_models import LinkConfirmation
from consents.manual import Declaration, add_manual_consent
from consents.models import Consent
from consents.rules import Recipient, RuleError
from consents.sharelinks import answer_confirmation, create_link, submit_landing
from consents.texts import consent_text
from consents.withdrawals import revoke_consent


@pytest.mark.parametrize("consents, ht, vat, ttc, naive_ttc", [
    (1, "0.99", "0.20", "1.19", "1.19"),
    (3, "2.97", "0.59", "3.56", "3.57"),
    (10, "9.90", "1.98", "11.88", "11.90"),
    (101, "99.99", "20.00", "119.99", "120.19"),
])
def test_vat_is_computed_on_the_month_total_and_rounded_half_up(consents, ht, vat, ttc, naive_ttc):
    totals = totals_for(consents)
    assert (totals.ht, totals.vat, totals.ttc) == (Decimal(ht), Decimal(vat), Decimal(ttc))
    assert Decimal("1.19") * consents == Decimal(naive_ttc)  # what n × 1,19 € would have said


def _charges() -> list[Charge]:
    db.session.expire_all()
    return Charge.query.order_by(Charge.id).all()


def test_an_accepted_request_is_charged_once_with_its_proof(logged_in, client):
    accept_one(logged_in)
    path = link_from(latest_email("request").sent_text)
    assert client.post(path, data={"reponse": "accepter"}).status_code == 303  # a double submit
    [charge] = _charges()
    consent = Consent.query.one()
    assert charge.amount_ht == Decimal("0.99") and charge.consent_id == consent.id
    assert charge.proof_uuid == Proof.query.one().uuid and charge.contact_id == consent.contact_id


def test_the_database_refuses_a_second_charge_for_one_acceptance(logged_in):
    accept_one(logged_in)
    [charge] = _charges()
    db.session.add(Charge(sender_id=charge.sender_id, consent_id=charge.consent_id, contact_id=charge.contact_id,
                          request_id=charge.request_id, proof_uuid=charge.proof_uuid, amount_ht=Decimal("0.99")))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert len(_charges()) == 1


def test_refusals_expiries_reminders_and_resends_are_free(logged_in, client, frozen_now):
    ask(logged_in, email="non@example.fr")
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    ask(logged_in, email="lent@example.fr", delay="3")
    consent = Consent.query.filter(Consent.status == "pending").one()
    logged_in.post(f"/gestionnaire/contacts/{consent.id}/relancer")
    frozen_now.advance(days=4)
    ask(logged_in, email="lent@example.fr", delay="3")  # asked again once the deadline passed
    assert latest_email("request").to == "lent@example.fr"
    assert _charges() == []


def test_manual_and_imported_consents_are_never_charged(logged_in, sender_user, frozen_now):
    declaration = Declaration(lre=True, avis=False, obtained_on=frozen_now.now.date() - timedelta(days=3),
                              source="contrat", reference="Bail 2024-17")
    add_manual_consent(sender_user.sender, sender_user, Recipient("bail@example.fr", "Bail", "particulier"),
                       declaration)
    imported, _parsed = upload_import(sender_user.sender, sender_user, "liste.csv",
                                      b"email;nom;type\nag1@example.fr;Un;particulier\nag2@example.fr;Deux;particulier\n")
    choose_action(imported, RECORD, {"lre": True, "avis": False, "obtained_on": "2026-03-12",
                                     "source": "assemblee_generale", "reference": "AG 12/03/2026"})
    for _outcome in run_import(imported.id):
        pass
    assert Consent.query.filter_by(status="accepted").count() == 3
    assert _charges() == []


def test_a_consent_revoked_then_obtained_again_is_charged_again(logged_in, sender_user, frozen_now):
    accept_one(logged_in)
    revoke_consent(Consent.query.one(), user=sender_user, requested_on=frozen_now.now.date(), source="courrier")
    frozen_now.advance(days=1)
    logged_in.post("/gestionnaire/demander", data={"email": "marie.dupont@example.fr", "name": "Marie Dupont",
                                                   "kind": "particulier", "scope": "lre", "delay": "15", "again": "1"})
    logged_in.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})
    first, second = _charges()
    assert first.request_id != second.request_id and first.proof_uuid != second.proof_uuid


def _confirmation(sender_user, email="paul@example.fr") -> LinkConfirmation:
    link = create_link(sender_user, "Newsletter mars", lre=True, avis=False)
    submit_landing(link, email=email, name="Paul Martin", kind="particulier", ip="198.51.100.4", user_agent="Firefox")
    return LinkConfirmation.query.filter_by(email=email).one()


def test_a_share_link_confirmed_and_accepted_is_charged_once(sender_user):
    confirmation = _confirmation(sender_user)
    for _twice in range(2):
        answer_confirmation(confirmation, accept=True, ip="203.0.113.9", user_agent="Safari",
                            text=consent_text("Cabinet Martin Gestion", "paul@example.fr", True, False))
    [charge] = _charges()
    assert charge.request_id == db.session.get(LinkConfirmation, confirmation.id).request_id


def test_charges_cannot_be_edited_or_deleted(logged_in):
    accept_one(logged_in)
    for statement in ("UPDATE charge SET amount_ht = 0", "DELETE FROM charge"):
        with pytest.raises(Exception):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    assert _charges()[0].amount_ht == Decimal("0.99")


def _charge_at(logged_in, frozen_now, at: datetime, email: str):
    """Accept one consent at a given UTC time."""
    frozen_now.advance(seconds=(at - frozen_now.now).total_seconds())
    accept_one(logged_in, email=email)


def test_months_are_french_calendar_months(logged_in, frozen_now, sender_user):
    # 31 March 2026, 22:30 UTC is already 1 April in Paris (summer time, UTC+2).
    _charge_at(logged_in, frozen_now, datetime(2026, 3, 31, 21, 30), "mars@example.fr")
    _charge_at(logged_in, frozen_now, datetime(2026, 3, 31, 22, 30), "avril@example.fr")
    assert month_of(datetime(2026, 3, 31, 22, 30)) == date(2026, 4, 1)
    assert utc_bounds(date(2026, 3, 1)) == (datetime(2026, 2, 28, 23, 0), datetime(2026, 3, 31, 22, 0))
    assert month_totals(sender_user.sender_id, date(2026, 3, 1)) == totals_for(1)
    assert month_totals(sender_user.sender_id, date(2026, 4, 1)) == totals_for(1)


def test_closing_a_month_twice_gives_one_statement_numbered_without_gaps(app, client, frozen_now, sender_user):
    other = make_sender("Syndic Durand", "contact@syndic-durand.fr")
    for who, user in (("martin", sender_user), ("durand", other)):
        client.post("/deconnexion")
        login(client, user.email)
        for n in range(3 if who == "martin" else 10):
            _charge_at(client, frozen_now, datetime(2026, 3, 10, 9, n), f"{who}{n}@example.fr")
    _charge_at(client, frozen_now, datetime(2026, 4, 2, 9, 0), "avril@example.fr")
    with pytest.raises(RuleError):
        close_month(date(2026, 4, 1))  # April is not over
    frozen_now.advance(days=30)
    first = close_month(date(2026, 3, 1))
    assert [s.number for s in first] == ["REL-000001", "REL-000002"]
    assert close_month(date(2026, 3, 1)) == []
    assert [s.number for s in close_month(date(2026, 4, 1))] == ["REL-000003"]
    martin, durand = (Statement.query.filter_by(sender_id=u.sender_id, month=date(2026, 3, 1)).one()
                      for u in (sender_user, other))
    assert (martin.consents, martin.total_ht, martin.vat, martin.total_ttc) == (3, Decimal("2.97"), Decimal("0.59"),
                                                                               Decimal("3.56"))
    assert (durand.consents, durand.total_ttc) == (10, Decimal("11.88"))
    assert Statement.query.count() == 3


def _accept_twice_at_once(app, path: str) -> list[int]:
    """POST «accepter» to `path` from two threads released together; their statuses (a thread's error fails the test)."""
    statuses, errors = [], []
    barrier = threading.Barrier(2)

    def accept():
        client = app.test_client()
        try:
            barrier.wait()
            statuses.append(client.post(path, data={"reponse": "accepter"}).status_code)
        except Exception as exc:  # reported below: a thread's assertion would vanish otherwise
            errors.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return statuses


@pytest.mark.skipif(not PG_URL, reason="real concurrency needs PostgreSQL")
def test_a_concurrent_double_accept_gives_one_charge(app, logged_in):
    ask(logged_in)
    path = link_from(latest_email("request").sent_text)
    assert _accept_twice_at_once(app, path) == [303, 303]
    assert len(_charges()) == 1 and Proof.query.count() == 1


@pytest.mark.skipif(not PG_URL, reason="real concurrency needs PostgreSQL")
def test_a_concurrent_double_link_confirmation_gives_one_charge(app, logged_in, sender_user):
    accept_one(logged_in, email="paul@example.fr")  # the contact exists: both answers would get past its creation
    revoke_consent(Consent.query.one(), user=sender_user, requested_on=date.today(), source="courrier")
    confirmation = _confirmation(sender_user)
    token = re.search(r"/l/c/([A-Za-z0-9_\-]+)", latest_email("link_confirmation").sent_text).group(1)
    assert _accept_twice_at_once(app, f"/l/c/{token}") == [303, 303]
    charges = _charges()
    assert len(charges) == 2 and charges[1].request_id == db.session.get(LinkConfirmation, confirmation.id).request_id


@pytest.mark.skipif(not PG_URL, reason="row locks and real concurrency need PostgreSQL")
def test_concurrent_closings_give_one_statement_and_no_gap(app, client, frozen_now, sender_user):
    for n, user in enumerate([sender_user] + [make_sender(f"Cabinet {n}", f"c{n}@cabinet.fr") for n in range(3)]):
        client.post("/deconnexion")
        login(client, user.email)
        _charge_at(client, frozen_now, datetime(2026, 3, 10, 9, n), f"r{n}@example.fr")
    frozen_now.advance(days=30)
    numbers, errors = [], []
    barrier = threading.Barrier(3)

    def close():
        with app.app_context():
            try:
                barrier.wait()
                numbers.extend(s.number for s in close_month(date(2026, 3, 1)))
            except Exception as exc:  # reported below: a thread's assertion would vanish otherwise
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(numbers) == [f"REL-{n:06d}" for n in range(1, 5)]
    assert Statement.query.count() == 4
