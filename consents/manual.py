"""Consents obtained outside the platform (a lease, a mandate, a general assembly), declared by the sender, free."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l

from consents import clock
from consents.db import db, insert_rows
from consents.events import GENESIS, chain_event, record_event, write_events
from consents.evidence_models import EvidenceFile, Proof
from consents.lifecycle import contact_search_text
from consents.models import ACCEPTED, PAPER, PENDING, REFUSED, REVOKED, Consent, Contact, Sender, User
from consents.outcome import Outcome
from consents.queries import consents_by_contact, contacts_by_email
from consents.receipts import signed_proof
from consents.rules import Recipient, RuleError
from consents.storage import evidence_store, evidence_type

MANUAL_SOURCES = ("contrat", "assemblee_generale", "courrier_signe", "autre")
MAX_REFERENCE = 200


@dataclass(frozen=True)
class Upload:
    """An uploaded evidence file: its name as sent and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Declaration:
    """What the sender declares about a consent obtained offline."""

    lre: bool
    avis: bool
    obtained_on: date
    source: str
    reference: str = ""
    evidence: EvidenceFile | None = None
    confirmed: bool = False  # the sender confirmed adding after a stored refusal or revocation


def last_refusal(consent: Consent | None) -> datetime | None:
    """When a consent was last refused, expired, revoked or turned to paper, or None when that is not its state."""
    if consent is None:
        return None
    status = consent.effective_status
    if status == REVOKED:
        return consent.revoked_at
    if status == PAPER:
        return consent.decided_at
    if status == REFUSED:
        return consent.deadline if consent.status == PENDING else (consent.decided_at or consent.changed_at)
    return None


def store_evidence(sender: Sender, user: User, upload: Upload) -> EvidenceFile:
    """Check an evidence file's type from its content, store it, and record its SHA-256 (in the transaction)."""
    mimetype, extension = evidence_type(upload.content)
    stem = os.path.splitext(os.path.basename(upload.filename or ""))[0][:150] or "justificatif"
    key = evidence_store().save(upload.content)
    evidence = EvidenceFile(sender_id=sender.id, uploaded_by_id=user.id, filename=f"{stem}.{extension}",
                            mimetype=mimetype, size=len(upload.content), sha256=key, storage_key=key,
                            created_at=clock.now())
    db.session.add(evidence)
    db.session.flush()
    return evidence


def check_declaration(declaration: Declaration) -> None:
    """Refuse a declaration that cannot be recorded as it is."""
    if not (declaration.lre or declaration.avis):
        raise RuleError(_l("Choisissez au moins un usage : LRE ou avis électronique."))
    if declaration.source not in MANUAL_SOURCES:
        raise RuleError(_l("Indiquez d'où vient ce consentement."))
    if declaration.obtained_on > clock.now().date():
        raise RuleError(_l("La date d'obtention ne peut pas être dans le futur."))
    if len(declaration.reference) > MAX_REFERENCE:
        raise RuleError(_l("La référence ne doit pas dépasser %(n)d caractères.", n=MAX_REFERENCE))


def add_manual_consent(sender: Sender, user: User, recipient: Recipient, declaration: Declaration) -> Outcome:
    """Record a consent obtained offline as «Accepté», channel «manuel», with its signed declaration receipt.

    Never billed, and no email: the recipient did not answer on the platform. A stored refusal or revocation
    only gives way to a consent obtained after it, and only when the sender confirms.
    """
    check_declaration(declaration)
    at = clock.now()
    contact = Contact.query.filter_by(sender_id=sender.id, email=recipient.email).first()
    consent = Consent.query.filter_by(contact_id=contact.id).first() if contact else None
    status = consent.effective_status if consent else None
    if status == ACCEPTED:
        raise RuleError(_l("%(email)s a déjà donné son consentement.", email=recipient.email))
    if status == PENDING:
        raise RuleError(_l("Une demande est en attente pour %(email)s : attendez sa réponse ou son échéance.",
                           email=recipient.email))
    ended = last_refusal(consent)
    if ended is not None and declaration.obtained_on <= ended.date():
        raise RuleError(_l("%(email)s a refusé ou retiré son consentement le %(date)s : seul un consentement obtenu "
                           "après cette date peut être ajouté.", email=recipient.email,
                           date=ended.strftime("%d/%m/%Y")))
    if ended is not None and not declaration.confirmed:
        raise RuleError(_l("%(email)s a refusé ou retiré son consentement le %(date)s : confirmez l'ajout.",
                           email=recipient.email, date=ended.strftime("%d/%m/%Y")))
    if contact is None:
        contact = Contact(sender_id=sender.id, email=recipient.email, name=recipient.name, kind=recipient.kind,
                          created_at=at)
        db.session.add(contact)
        db.session.flush()
    else:
        contact.name, contact.kind = recipient.name or contact.name, recipient.kind
    if consent is None:
        consent = Consent(sender_id=sender.id, contact_id=contact.id, contact=contact)
        db.session.add(consent)
    _accept(consent, contact, declaration, at)
    db.session.flush()
    event = record_event(consent.id, "added_manually", user=user,
                         data=_declared(declaration, consent.scope_label_keys, contact.kind))
    proof = Proof(**signed_proof(consent_id=consent.id, sender=sender, contact=contact, channel="manuel",
                                 event=event)[0])
    db.session.add(proof)
    outcome = Outcome(consent_ids=[consent.id])
    outcome.wrote(proof)  # no email: the recipient did not answer on the platform
    db.session.commit()
    return outcome


SKIP_REASONS = {
    ACCEPTED: _l("déjà accepté"),
    PENDING: _l("demande en attente : pas de doublon"),
    REFUSED: _l("refus enregistré : un import ne le change jamais en accord"),
    REVOKED: _l("consentement retiré : un import ne le change jamais en accord"),
    PAPER: _l("courrier papier choisi : un import ne le change jamais en accord"),
}


def add_manual_consents(sender: Sender, user: User, recipients: list[Recipient],
                        declaration: Declaration) -> tuple[Outcome, dict[str, str]]:
    """Record offline consents for many recipients in one transaction (an import), without committing it.

    Only addresses with no consent yet get one: a stored answer, pending ask or withdrawal is never replaced.
    Returns the outcome and, for each skipped address, why. Rows are written a table at a time.
    """
    check_declaration(declaration)
    at = clock.now()
    contacts = contacts_by_email(sender.id, [r.email for r in recipients])
    consents = consents_by_contact([c.id for c in contacts.values()]) if contacts else {}
    skipped = {}
    for recipient in recipients:
        contact = contacts.get(recipient.email)
        consent = consents.get(contact.id) if contact else None
        if consent is not None:
            skipped[recipient.email] = str(SKIP_REASONS[consent.effective_status])
    fresh = [r for r in recipients if r.email not in skipped]
    new_contacts = [r for r in fresh if r.email not in contacts]
    contact_ids = {c.email: c.id for c in contacts.values()} | dict(zip(
        (r.email for r in new_contacts),
        insert_rows(Contact.__table__, [{"sender_id": sender.id, "email": r.email, "name": r.name, "kind": r.kind,
                                         "created_at": at} for r in new_contacts])))
    decided = datetime.combine(declaration.obtained_on, time(12))  # a date: noon keeps it in the same day
    scope = [key for key, on in (("lre", declaration.lre), ("avis", declaration.avis)) if on]
    consent_ids = insert_rows(Consent.__table__, [{
        "sender_id": sender.id, "contact_id": contact_ids[r.email], "status": ACCEPTED, "channel": "manuel",
        "scope_lre": declaration.lre, "scope_avis": declaration.avis, "decided_at": decided, "changed_at": at,
        "search_text": contact_search_text(r),
    } for r in fresh])
    events = write_events([chain_event(consent_id, "added_manually", prev_hash=GENESIS, at=at, user=user,
                                       data=_declared(declaration, scope, r.kind))
                           for consent_id, r in zip(consent_ids, fresh)])
    proofs = [signed_proof(consent_id=event["consent_id"], sender=sender, contact=r, channel="manuel", event=event)[0]
              for event, r in zip(events, fresh)]
    return Outcome(consent_ids=consent_ids, proof_ids=insert_rows(Proof.__table__, proofs)), skipped


def _accept(consent: Consent, contact: Contact, declaration: Declaration, at: datetime) -> None:
    """Set a consent to what a declaration says: «Accepté» through channel «manuel»."""
    consent.status, consent.channel, consent.deadline = ACCEPTED, "manuel", None
    consent.scope_lre, consent.scope_avis = declaration.lre, declaration.avis
    consent.decided_at = datetime.combine(declaration.obtained_on, time(12))  # a date: noon keeps it in the same day
    consent.changed_at, consent.search_text = at, contact_search_text(contact)
    consent.bounced_at = consent.withdrawal_requested_at = None


def _declared(declaration: Declaration, scope: list[str], kind: str) -> dict:
    """The «ajout manuel» event's data: what was declared and the evidence file's fingerprint."""
    evidence = declaration.evidence
    return {
        "obtained_on": declaration.obtained_on.isoformat(), "source": declaration.source,
        "reference": declaration.reference, "scope": scope, "kind": kind,
        "evidence": {"id": evidence.id, "sha256": evidence.sha256, "filename": evidence.filename,
                     "mimetype": evidence.mimetype, "size": evidence.size} if evidence else None,
    }
