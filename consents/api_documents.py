"""What the API shows of consents: their JSON documents, pages by cursor, and receipts in standard forms."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Iterator

from sqlalchemy import and_, or_, select

from consents.db import db
from consents.evidence_models import Proof
from consents.events import history
from consents.links import public_url
from consents.models import ACCEPTED, PAPER, PENDING, REFUSED, REVOKED, STATUSES, Consent, ConsentEvent, utc_iso
from consents.receipts import consent_proof, signature_envelope

MAX_PAGE = 200
EXPIRED = "expired"  # a refusal that comes from an unanswered deadline, not from an answer
DPV = "https://w3id.org/dpv#"


class BadCursor(ValueError):
    """A pagination cursor that this API did not write."""


def api_status(consent: Consent) -> str:
    """The consent's status as the API names it: accepted, refused, expired, pending, revoked or paper."""
    if consent.expired or (consent.status == REFUSED and consent.decided_at is None):
        return EXPIRED
    return consent.effective_status


def consent_document(consent: Consent) -> dict:
    """One consent as the API shows it."""
    return {
        "id": consent.id, "email": consent.contact.email, "nom": consent.contact.name, "type": consent.contact.kind,
        "statut": api_status(consent), "usages": consent.scope_label_keys, "canal": consent.channel,
        "echeance": utc_iso(consent.deadline) if consent.status == PENDING else None,
        "decide_le": utc_iso(consent.decided_at), "revoque_le": utc_iso(consent.revoked_at),
        "modifie_le": utc_iso(consent.changed_at), "retrait_demande": consent.withdrawal_requested_at is not None,
        "url": public_url("api.consent_detail", consent_id=consent.id),
    }


def consent_detail(consent: Consent) -> dict:
    """A consent with its history and the links to its receipt."""
    proof = consent_proof(consent)
    return consent_document(consent) | {
        "historique": [{"id": e.id, "type": e.kind, "date": utc_iso(e.created_at), "acteur": e.actor,
                        "empreinte": e.hash} for e in history(consent)],
        "recu": None if proof is None else {
            "id": proof.uuid, "url": public_url("api.receipt", consent_id=consent.id),
            "verification": public_url("public.receipt_status", receipt_id=proof.uuid),
            "horodatage": proof.tsr is not None,
        },
    }


def encode_cursor(consent: Consent) -> str:
    """The opaque position after a consent in the order of changes."""
    return base64.urlsafe_b64encode(f"{consent.changed_at.isoformat()}|{consent.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names, or BadCursor."""
    try:
        at, consent_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return datetime.fromisoformat(at), int(consent_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc


def filters(sender_id: int, status: str | None, since: datetime | None) -> list:
    """The SQL conditions of the API's filters: a status (expired included) and a time of change."""
    conditions = [Consent.sender_id == sender_id]
    if status == EXPIRED:
        conditions.append(Consent.status_filter(REFUSED))
        conditions.append(or_(Consent.status == PENDING, Consent.decided_at.is_(None)))
    elif status in STATUSES:
        conditions.append(Consent.status_filter(status))
    if since is not None:
        conditions.append(Consent.changed_at >= since)
    return conditions


def consent_page(sender_id: int, *, status: str | None, since: datetime | None, cursor: str | None,
                 limit: int) -> tuple[list[Consent], str | None]:
    """One page of consents in the order they changed, oldest first, and the cursor of the next page (or None)."""
    conditions = filters(sender_id, status, since)
    if cursor:
        at, consent_id = decode_cursor(cursor)
        conditions.append(or_(Consent.changed_at > at, and_(Consent.changed_at == at, Consent.id > consent_id)))
    rows = (Consent.query.filter(*conditions).order_by(Consent.changed_at, Consent.id).limit(limit + 1).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None


def dpv_status(consent: Consent) -> str:
    """The W3C DPV status of a consent that has a receipt."""
    if consent.effective_status == REVOKED:
        revocation = (ConsentEvent.query.filter_by(consent_id=consent.id, kind="revoked")
                      .order_by(ConsentEvent.id.desc()).first())
        # Recorded at the recipient's request (email, letter, phone, online): withdrawn by the person.
        by_person = revocation is None or (revocation.data or {}).get("source") != "autre"
        return "ConsentWithdrawn" if by_person else "ConsentRevoked"
    # Choosing paper letters is refusing electronic delivery.
    return {ACCEPTED: "ConsentGiven", PENDING: "ConsentRequested", REFUSED: "ConsentRefused", PAPER: "ConsentRefused",
            EXPIRED: "ConsentExpired"}[api_status(consent)]


def dpv_receipt(consent: Consent, proof: Proof) -> dict:
    """A receipt in W3C Data Privacy Vocabulary terms (JSON-LD), naming the signed receipt it comes from."""
    receipt = json.loads(proof.receipt)
    return {
        "@context": {"dpv": DPV, "dct": "http://purl.org/dc/terms/", "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": f"urn:uuid:{proof.uuid}",
        "@type": "dpv:ConsentRecord",
        "dpv:hasConsentStatus": {"@id": f"dpv:{dpv_status(consent)}"},
        "dpv:hasDataSubject": {"@type": "dpv:DataSubject", "dpv:hasIdentifier": receipt["piiPrincipalId"]},
        "dpv:hasDataController": [{"@type": "dpv:DataController", "dpv:hasName": c["piiController"]}
                                  for c in receipt["piiControllers"]],
        "dpv:hasPurpose": [{"@type": "dpv:Purpose", "dct:description": p["purpose"]}
                           for s in receipt["services"] for p in s["purposes"]],
        "dpv:hasLegalBasis": {"@type": "dpv:LegalBasis", "dct:description": receipt["legalBasis"]},
        "dpv:hasJurisdiction": receipt["jurisdiction"],
        "dpv:isIndicatedAtTime": {"@value": receipt["consentTimestamp"], "@type": "xsd:dateTime"},
        "dct:modified": {"@value": utc_iso(consent.changed_at), "@type": "xsd:dateTime"},
        "dct:source": public_url("api.receipt", consent_id=consent.id),
        "dct:conformsTo": receipt["profile"],
    }


def receipt_lines(sender_id: int, *, status: str | None, since: datetime | None) -> Iterator[str]:
    """Every receipt of a filter as JSON Lines: the latest signed receipt of each consent with its signature."""
    latest = (select(Proof.consent_id, db.func.max(Proof.id).label("proof_id"))
              .group_by(Proof.consent_id).subquery())
    query = (select(Proof, Consent.id).join(latest, latest.c.proof_id == Proof.id)
             .join(Consent, Consent.id == Proof.consent_id).where(*filters(sender_id, status, since))
             .order_by(Consent.id).execution_options(yield_per=500))
    for proof, consent_id in db.session.execute(query):
        yield json.dumps({"consentement": consent_id, "recu": json.loads(proof.receipt),
                          "signature": signature_envelope(proof)}, ensure_ascii=False, separators=(",", ":")) + "\n"
