"""Checkpoints: every chain's head recorded at once; only a timestamped checkpoint counts as evidence."""
import json

from conftest import accept_one, ask
from consents.canonical import sha256_hex
from consents.checkpoints import create_checkpoint, latest_checkpoint_heads
from consents.db import db
from consents.models import Consent
from consents.timestamps import request_token, verify_token


def test_a_checkpoint_records_the_head_of_every_consent(logged_in):
    accept_one(logged_in)
    ask(logged_in, email="paul@example.fr", name="Paul")
    checkpoint = create_checkpoint()
    heads = json.loads(checkpoint.heads)
    assert heads == {str(c.id): c.head_hash for c in Consent.query.all()}
    assert len(heads) == 2 and all(len(h) == 64 for h in heads.values())
    assert checkpoint.heads_sha256 == sha256_hex(checkpoint.heads.encode("utf-8"))
    assert checkpoint.tsr is None


def test_only_a_timestamped_checkpoint_is_returned(app, tsa, logged_in):
    assert latest_checkpoint_heads() is None
    accept_one(logged_in)
    first = create_checkpoint()
    assert latest_checkpoint_heads() is None
    first.tsr, first.timestamped_at = request_token(first.heads.encode("utf-8"))
    db.session.commit()
    assert verify_token(first.tsr, first.heads.encode("utf-8")) == first.timestamped_at
    recorded = json.loads(first.heads)
    ask(logged_in, email="paul@example.fr", name="Paul")
    later = create_checkpoint()
    assert len(json.loads(later.heads)) == 2
    assert latest_checkpoint_heads() == recorded
