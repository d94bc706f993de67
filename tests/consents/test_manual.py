"""Consents obtained offline: «Accepté» at once, channel «manuel», a declaration receipt, never over a later «no»."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from conftest import accept_one, ask
from consents.db import db
from consents.events import verify_chains
from consents.evidence_models import EvidenceFile, Proof
from consents.manual import Declaration, Upload, add_manual_consent, store_evidence
from consents.models import ACCEPTED, Consent, ConsentEvent, OutboundEmail
from consents.receipts import DECLARATION_PROFILE, proof_folder
from consents.rules import Recipient, RuleError
from consents.withdrawals import revoke_consent

MARIE = Recipient("marie.dupont@example.fr", "Marie Dupont", "particulier")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _declare(user, frozen_now, days_ago=10, recipient=MARIE, **kwargs):
    """Declare a consent obtained some days ago at a general assembly."""
    declaration = Declaration(lre=True, avis=False, obtained_on=frozen_now.now.date() - timedelta(days=days_ago),
                              source="assemblee_generale", reference="AG du 12/03, résolution 14", **kwargs)
    return add_manual_consent(user.sender, user, recipient, declaration)


def test_manual_add_is_accepted_with_a_declaration_receipt_and_no_email(sender_user, frozen_now):
    evidence = store_evidence(sender_user.sender, sender_user, Upload("pv-ag.pdf", PDF))
    outcome = _declare(sender_user, frozen_now, evidence=evidence)
    consent = db.session.get(Consent, outcome.consent_ids[0])
    assert consent.status == ACCEPTED and consent.channel == "manuel"
    assert outcome.email_ids == [] and OutboundEmail.query.count() == 0
    event = ConsentEvent.query.filter_by(kind="added_manually").one()
    assert event.data["evidence"]["sha256"] == EvidenceFile.query.one().sha256 and event.actor == "user"
    receipt = json.loads(Proof.query.one().receipt)
    assert receipt["profile"] == DECLARATION_PROFILE and receipt["collectionMethod"] == "manuel"
    assert "pas été donné sur la plateforme" in receipt["declaration"]["notice"]
    assert receipt["declaration"]["reference"] == "AG du 12/03, résolution 14"
    with zipfile.ZipFile(io.BytesIO(proof_folder(Proof.query.one()))) as archive:
        assert archive.read("justificatif-pv-ag.pdf") == PDF
    assert verify_chains().breaks == []


def test_evidence_type_is_read_from_the_content(sender_user):
    with pytest.raises(RuleError):
        store_evidence(sender_user.sender, sender_user, Upload("scan.pdf", b"MZ\x90\x00 not a pdf"))
    png = store_evidence(sender_user.sender, sender_user, Upload("photo.jpeg", b"\x89PNG\r\n\x1a\n" + b"0" * 20))
    assert png.mimetype == "image/png" and png.filename == "photo.png"
    with pytest.raises(RuleError):
        store_evidence(sender_user.sender, sender_user, Upload("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)))


def test_a_refusal_gives_way_only_to_a_later_consent_and_a_confirmation(logged_in, sender_user, client, frozen_now):
    from conftest import latest_email, link_from

    ask(logged_in, email=MARIE.email)
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "refuser"})
    frozen_now.advance(days=5)
    with pytest.raises(RuleError, match="après"):
        _declare(sender_user, frozen_now, days_ago=10)  # obtained before the refusal
    with pytest.raises(RuleError, match="confirmez"):
        _declare(sender_user, frozen_now, days_ago=1)
    _declare(sender_user, frozen_now, days_ago=1, confirmed=True)
    assert Consent.query.one().status == ACCEPTED


def test_manual_add_never_overrides_an_accepted_or_pending_consent(logged_in, sender_user, frozen_now):
    accept_one(logged_in, email=MARIE.email)
    with pytest.raises(RuleError):
        _declare(sender_user, frozen_now)
    ask(logged_in, email="jean@example.fr")
    with pytest.raises(RuleError):
        _declare(sender_user, frozen_now, recipient=Recipient("jean@example.fr", "Jean", "particulier"))


def test_a_revoked_consent_added_again_needs_a_date_after_the_revocation(logged_in, sender_user, frozen_now):
    accept_one(logged_in, email=MARIE.email)
    revoke_consent(Consent.query.one(), user=sender_user, requested_on=frozen_now.now.date(), source="email")
    with pytest.raises(RuleError):
        _declare(sender_user, frozen_now, days_ago=0, confirmed=True)  # the same day is not after
    frozen_now.advance(days=3)
    _declare(sender_user, frozen_now, days_ago=1, confirmed=True)
    assert Consent.query.one().status == ACCEPTED and Proof.query.count() == 2


def test_future_dates_and_unknown_sources_are_refused(sender_user, frozen_now):
    with pytest.raises(RuleError):
        _declare(sender_user, frozen_now, days_ago=-1)
    with pytest.raises(RuleError):
        add_manual_consent(sender_user.sender, sender_user, MARIE, Declaration(
            lre=True, avis=False, obtained_on=frozen_now.now.date(), source="rumeur"))
    assert Consent.query.count() == 0
