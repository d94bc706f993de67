"""The paper-or-electronic choice (LRO): the recipient's postal address, checked, and their choice of paper.

Choosing electronic is an ordinary acceptance (`lifecycle.answer_request`). Choosing paper sets «Papier», adds a
«papier choisi» event, keeps the address and issues a signed, timestamped receipt: the receipt of certain date
that décret 2025-1292 gives a co-owner who asks for paper.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from consents import clock
from consents.db import db
from consents.events import first_event_after, lock_head, record_event
from consents.evidence_models import Proof
from consents.lifecycle import RequestExpired
from consents.models import PAPER, Consent, ConsentRequest, Sender
from consents.outcome import Outcome
from consents.postal_models import PostalAddress, envelope_lines
from consents.proof_emails import queue_withdrawal_notice
from consents.receipts import issue_proof
from consents.rules import RuleError
from consents.texts import ConsentText

PAPER_CHOSEN = "paper_chosen"
LRO = "lro"  # the channel of a paper choice: the recipient chose between paper and electronic
MAX_LINE, MAX_TOWN = 200, 100
# Metropolitan departments 01 to 95 (Corsica's 2A and 2B keep 20xxx), the overseas departments and
# collectivities (971 to 978), Monaco (980) and the Pacific territories (986 to 988).
OVERSEAS_PREFIXES = {"971", "972", "973", "974", "975", "976", "977", "978", "980", "986", "987", "988"}


@dataclass(frozen=True)
class Address:
    """A checked French postal address."""

    line1: str
    line2: str
    postcode: str
    town: str

    def as_data(self) -> dict:
        """The address as the history and the receipt hold it."""
        return {"line1": self.line1, "line2": self.line2, "postcode": self.postcode, "town": self.town}


def _one_line(raw: str | None) -> str:
    """A form value on one line, its runs of spaces folded."""
    return " ".join((raw or "").split())


def check_postcode(raw: str) -> str:
    """Return a French postcode (5 digits of a known department) or raise RuleError."""
    code = "".join((raw or "").split())
    if len(code) != 5 or not code.isdigit():
        raise RuleError(_l("Le code postal compte 5 chiffres, par exemple 75011."))
    if not (1 <= int(code[:2]) <= 95 or code[:3] in OVERSEAS_PREFIXES):
        raise RuleError(_l("Le code postal %(code)s ne correspond à aucun département français.", code=code))
    return code


def check_town(raw: str) -> str:
    """Return a town name or raise RuleError."""
    town = _one_line(raw)
    if not town:
        raise RuleError(_l("Indiquez la commune."))
    if len(town) > MAX_TOWN or not any(c.isalpha() for c in town):
        raise RuleError(_l("La commune doit être un nom de %(n)d caractères au plus.", n=MAX_TOWN))
    return town


def check_address(line1: str, line2: str, postcode: str, town: str) -> Address:
    """Return a checked postal address or raise RuleError naming what is wrong."""
    first, second = _one_line(line1), _one_line(line2)
    if not first:
        raise RuleError(_l("Indiquez le numéro et la voie."))
    if len(first) > MAX_LINE or len(second) > MAX_LINE:
        raise RuleError(_l("Une ligne d'adresse ne doit pas dépasser %(n)d caractères.", n=MAX_LINE))
    return Address(first, second, check_postcode(postcode), check_town(town))


def choose_paper(request: ConsentRequest, address: Address, *, text: ConsentText, ip: str | None,
                 user_agent: str | None) -> Outcome:
    """Record the answer «courrier papier» to an LRO request once; a second answer changes nothing."""
    outcome = Outcome()
    if request.answered_at is not None:
        return outcome
    if not request.paper_offered:
        raise RuleError(_l("Cette demande ne propose pas le courrier papier."))
    at = clock.now()
    if request.deadline <= at:
        raise RequestExpired()
    # The conditional update makes a double click or a second tab a no-op, as for an acceptance.
    claimed = db.session.execute(
        update(ConsentRequest).where(ConsentRequest.id == request.id, ConsentRequest.answered_at.is_(None))
        .values(answered_at=at, answer=PAPER)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return outcome
    _record_paper(request.consent, address, outcome, request=request, ip=ip, user_agent=user_agent, data={
        "via": "demande", "text_version": text.version, "text_sha256": text.sha256, "language": text.language})
    db.session.commit()
    db.session.refresh(request)
    return outcome


def paper_asked_since(proof: Proof) -> PostalAddress | None:
    """The paper choice made from this receipt's link, if any (its address)."""
    event = first_event_after(proof.consent_id, proof.event_id, PAPER_CHOSEN)
    return PostalAddress.query.filter_by(event_id=event.id).one() if event is not None else None


def ask_paper(proof: Proof, address: Address, *, language: str, ip: str | None, user_agent: str | None) -> Outcome:
    """A recipient asks, from their receipt's link, for paper letters: «Papier» at once, and the sender is told."""
    outcome = Outcome()
    lock_head(proof.consent_id)  # a concurrent double submit waits here, then finds the first one's choice
    if paper_asked_since(proof) is not None:
        db.session.rollback()
        return outcome
    consent = proof.consent
    _record_paper(consent, address, outcome, request=None, ip=ip, user_agent=user_agent,
                  data={"via": "retrait", "receipt_id": proof.uuid, "language": language})
    message = _l("Demande à recevoir ses courriers sur papier, à l'adresse : %(address)s",
                 address=", ".join(envelope_lines(**address.as_data())))
    outcome.wrote(*queue_withdrawal_notice(proof, db.session.get(Sender, consent.sender_id), str(message)))
    db.session.commit()
    return outcome


def _record_paper(consent: Consent, address: Address, outcome: Outcome, *, request: ConsentRequest | None,
                  ip: str | None, user_agent: str | None, data: dict) -> None:
    """Set «Papier», chain the event with the address, keep the address and issue the receipt, in the transaction."""
    at = clock.now()
    consent.status, consent.decided_at, consent.changed_at, consent.channel = PAPER, at, at, LRO
    consent.deadline = consent.withdrawal_requested_at = None
    event = record_event(consent.id, PAPER_CHOSEN, actor="recipient", request_id=request.id if request else None,
                         ip=ip, user_agent=user_agent,
                         data={**data, "scope": consent.scope_label_keys, "address": address.as_data()})
    db.session.add(PostalAddress(consent_id=consent.id, event_id=event["id"], created_at=at, **address.as_data()))
    outcome.consent_ids.append(consent.id)
    # Same transaction: no paper choice without its signed receipt.
    outcome.wrote(*issue_proof(consent, event, request))


def latest_address(consent: Consent) -> PostalAddress | None:
    """The address of the consent's latest paper choice, or None."""
    return PostalAddress.query.filter_by(consent_id=consent.id).order_by(PostalAddress.id.desc()).first()
