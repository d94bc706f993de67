"""The manager's list as a CSV file for spreadsheets: streamed, so a hundred thousand rows never sit in memory."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from consents.db import db
from consents.evidence_models import Proof
from consents.models import PAPER, PENDING, Consent, ConsentRequest, Contact
from consents.postal_models import PostalAddress
from consents.link_models import ShareLink
from consents.queries import manager_filter

HEADER = ("email", "nom", "type", "statut", "canal", "date de décision", "date limite", "lien",
          "adresse ligne 1", "adresse ligne 2", "code postal", "ville", "identifiant de preuve")
STATUS_WORDS = {"accepted": "Accepté", "refused": "Refusé", "pending": "En attente", "revoked": "Révoqué",
                "paper": "Papier"}
CHUNK = 2000
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    """A naive UTC time as the sender reads it, e.g. 03/03/2026 14:05."""
    return at.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%d/%m/%Y %H:%M") if at else ""


def export_lines(sender_id: int, *, status: str | None, q: str, link_id: int | None,
                 time_zone: str = "Europe/Paris") -> Iterator[str]:
    """The CSV text, a chunk of lines at a time: UTF-8 byte order mark, `;` separator, the manager's order."""
    latest_proof = (select(Proof.uuid).where(Proof.consent_id == Consent.id).order_by(Proof.id.desc()).limit(1)
                    .correlate(Consent).scalar_subquery())
    latest_link = (select(ShareLink.label).join(ConsentRequest, ConsentRequest.link_id == ShareLink.id)
                   .where(ConsentRequest.consent_id == Consent.id).order_by(ConsentRequest.id.desc()).limit(1)
                   .correlate(Consent).scalar_subquery())
    newer = aliased(PostalAddress)
    # Each consent's latest address: one anti-join over the addresses, not a lookup per exported row.
    address = (select(PostalAddress).where(~select(newer.id).where(newer.consent_id == PostalAddress.consent_id,
                                                                    newer.id > PostalAddress.id).exists())
               .subquery())
    rows = db.session.execute(
        select(Contact.email, Contact.name, Contact.kind, Consent.effective_status, Consent.channel,
               Consent.decided_at, Consent.deadline, latest_link, address.c.line1, address.c.line2,
               address.c.postcode, address.c.town, latest_proof)
        .join(Contact, Contact.id == Consent.contact_id)
        # Only a contact who reads «Papier» gets letters at the address they gave.
        .outerjoin(address, and_(Consent.status == PAPER, address.c.consent_id == Consent.id))
        .where(*manager_filter(sender_id, status, q, link_id))
        .order_by(Consent.changed_at.desc(), Consent.id.desc())
        .execution_options(yield_per=CHUNK)
    )
    zone = ZoneInfo(time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    for count, (email, name, kind, state, channel, decided, deadline, link, *address, proof) in enumerate(rows, 1):
        writer.writerow([neutralise(cell) for cell in (
            email, name or "", kind, STATUS_WORDS.get(state, state), channel, _local(decided, zone),
            _local(deadline, zone) if state == PENDING else "", link or "", *(part or "" for part in address),
            proof or "")])
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
