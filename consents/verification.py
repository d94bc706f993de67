"""Checking what anyone uploads: a receipt with its signature and token, a whole proof folder, or a certificate PDF."""
from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from pypdf import PdfReader

from consents.canonical import sha256_hex
from consents.keys import public_key
from consents.evidence_models import Proof
from consents.proof_parts import SIGNATURE_ALG
from consents.timestamps import TimestampError, is_demo_token, tsa_roots, verify_token

MAX_UPLOAD = 1024 * 1024  # 1 MiB: a receipt is a few kB, a whole proof folder well under this


class UploadError(Exception):
    """An upload that cannot be read as a receipt: the message is shown to the visitor."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # 'too_large', 'malformed', 'no_receipt', 'pdf_without_receipt', 'unsupported'


@dataclass
class Bundle:
    """What an upload holds: the receipt bytes and, when given, its signature file and token."""

    receipt: bytes | None = None
    signature: dict | None = None
    tsr: bytes | None = None


@dataclass
class Verdict:
    """The answers of a verification, from the uploaded files only."""

    receipt: dict
    receipt_sha256: str
    signature: str  # valid, invalid, unknown_key, absent
    timestamp: str  # valid, invalid, absent, unverifiable
    timestamp_at: datetime | None
    in_history: bool
    key_id: str | None = None
    timestamp_demo: bool = False  # by `make run`'s demonstration authority, which proves nothing to a third party
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the signature holds and the receipt is in our history."""
        return self.signature == "valid" and self.in_history and self.timestamp != "invalid"


def _classify(name: str, content: bytes, bundle: Bundle) -> None:
    """Put one file in its place in the bundle, by its content rather than its name."""
    if content[:1] == b"{":
        try:
            document = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested beyond reason
            raise UploadError("malformed") from None
        if isinstance(document, dict) and "consentReceiptID" in document and "signature" not in document:
            bundle.receipt = content
        elif isinstance(document, dict) and "signature" in document and "alg" in document:
            bundle.signature = document
        return
    if name.endswith(".tsr") or content[:1] == b"\x30":
        bundle.tsr = content


def _pdf_attachments(content: bytes) -> list[tuple[str, bytes]]:
    """The files attached to a PDF: a certificate carries its receipt, signature and token."""
    try:
        attached = [(name, data) for name, versions in PdfReader(io.BytesIO(content)).attachments.items()
                    for data in versions]
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of errors on a damaged or hostile PDF
        raise UploadError("malformed") from None
    if sum(len(data) for _, data in attached) > 4 * MAX_UPLOAD:
        raise UploadError("too_large")
    if not attached:
        raise UploadError("pdf_without_receipt")
    return attached


def read_upload(files: list[tuple[str, bytes]]) -> Bundle:
    """Read uploaded files (a certificate PDF, a proof folder zip, or a receipt with its signature and token)."""
    if sum(len(content) for _, content in files) > MAX_UPLOAD:
        raise UploadError("too_large")
    bundle = Bundle()
    for name, content in files:
        if content[:5] == b"%PDF-":
            for attached_name, attached in _pdf_attachments(content):
                _classify(attached_name, attached, bundle)
        elif content[:4] == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    members = [m for m in archive.infolist() if not m.is_dir()]
                    # Declared sizes bound what unpacking can cost (a zip bomb claims little, inflates a lot).
                    if sum(m.file_size for m in members) > 4 * MAX_UPLOAD:
                        raise UploadError("too_large")
                    for member in members:
                        if member.filename.endswith((".json", ".tsr")) and not member.filename.startswith("historique"):
                            _classify(member.filename, archive.read(member), bundle)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError):
                raise UploadError("malformed") from None
        elif content[:1] in (b"{", b"\x30") or name.endswith(".tsr"):
            _classify(name, content, bundle)
        else:
            raise UploadError("unsupported")
    if bundle.receipt is None:
        raise UploadError("no_receipt")
    return bundle


def _check_signature(body: bytes, envelope: dict | None) -> tuple[str, str | None]:
    """Check a detached signature against our published keys (never a key brought by the upload)."""
    if not envelope:
        return "absent", None
    kid = envelope.get("kid")
    if envelope.get("alg") != SIGNATURE_ALG or not isinstance(kid, str) or not isinstance(envelope.get("signature"), str):
        return "invalid", None
    key = public_key(kid)
    if key is None:
        return "unknown_key", kid
    try:
        key.verify(base64.b64decode(envelope["signature"], validate=True), body)
    except (InvalidSignature, binascii.Error, ValueError):
        return "invalid", kid
    return "valid", kid


def verify_bundle(bundle: Bundle) -> Verdict:
    """Answer: does the signature hold, does the timestamp hold, is this exact receipt in our history?"""
    body = bundle.receipt
    try:
        receipt = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UploadError("malformed") from None
    if not isinstance(receipt, dict) or not isinstance(receipt.get("consentReceiptID"), str):
        raise UploadError("malformed")
    digest = sha256_hex(body)
    signature, kid = _check_signature(body, bundle.signature)
    timestamp, at = "absent", None
    if bundle.tsr is not None and not tsa_roots():
        timestamp = "unverifiable"
    elif bundle.tsr is not None:
        try:
            at, timestamp = verify_token(bundle.tsr, body), "valid"
        except TimestampError:
            timestamp = "invalid"
    receipt_id = receipt["consentReceiptID"][:36]
    # No stored id holds a NUL byte, and PostgreSQL refuses to compare text with one.
    stored = Proof.query.filter_by(uuid=receipt_id).first() if "\x00" not in receipt_id else None
    in_history = stored is not None and stored.receipt_sha256 == digest
    return Verdict(receipt=receipt, receipt_sha256=digest, signature=signature, timestamp=timestamp,
                   timestamp_at=at, in_history=in_history, key_id=kid,
                   timestamp_demo=timestamp == "valid" and is_demo_token(bundle.tsr))
