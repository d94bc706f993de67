"""RFC 3161 trusted timestamps: ask the configured authority for a token, and check a token."""
from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from flask import current_app
from rfc3161_client import (
    HashAlgorithm, PKIStatus, TimestampRequestBuilder, VerificationError, VerifierBuilder, decode_timestamp_response,
)

MAX_TOKEN_BYTES = 64 * 1024
# The name of `make run`'s local authority (jobs/demo_tsa.py): its tokens prove nothing to a third party.
DEMO_TSA_NAME = "Consentement LRE TSA de demonstration (non qualifiee)"


class TimestampError(Exception):
    """The authority could not be reached, refused, or gave a token that does not hold."""


def tsa_configured() -> bool:
    """True when a time-stamping authority is configured."""
    return bool(current_app.config.get("TSA_URL"))


def tsa_roots() -> list[x509.Certificate]:
    """The certificates we trust for timestamps (TSA_CA_FILE, PEM), or none when not configured."""
    path = current_app.config.get("TSA_CA_FILE")
    if not path:
        return []
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def tsa_ca_pem() -> bytes | None:
    """The PEM of the trusted TSA certificates, to ship in a proof folder for `openssl ts -verify`."""
    path = current_app.config.get("TSA_CA_FILE")
    return Path(path).read_bytes() if path else None


def is_demo_token(tsr: bytes | None) -> bool:
    """True when a token was issued by the demonstration authority, which every page showing it must say."""
    if not tsr:
        return False
    try:
        name = decode_timestamp_response(tsr).tst_info.name
    except ValueError:
        return False
    return name is not None and DEMO_TSA_NAME in name.value.rfc4514_string()


def _utc_naive(at: datetime) -> datetime:
    """A token's genTime as the naive UTC the database stores."""
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def request_token(data: bytes) -> tuple[bytes, datetime]:
    """Ask TSA_URL for a token over SHA-256(data); return the DER response and its time."""
    tsq = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).cert_request(
        cert_request=True).nonce(nonce=True).build()
    http = urllib.request.Request(current_app.config["TSA_URL"], data=tsq.as_bytes(), method="POST",
                                  headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(http, timeout=current_app.config.get("TSA_TIMEOUT", 10)) as answer:
            tsr = answer.read(MAX_TOKEN_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"TSA unreachable: {exc}") from exc
    if len(tsr) > MAX_TOKEN_BYTES:
        raise TimestampError("TSA answer too large")
    try:
        response = decode_timestamp_response(tsr)
    except ValueError as exc:
        raise TimestampError(f"TSA answer is not a timestamp response: {exc}") from exc
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"TSA refused: status {response.status} {response.status_string}")
    # The answer must be for our request: same nonce, same digest (a proxy or a bug could mix them up).
    verifier = VerifierBuilder.from_request(tsq)
    for root in tsa_roots():
        verifier = verifier.add_root_certificate(root)
    if tsa_roots():
        try:
            verifier.build().verify_message(response, data)
        except VerificationError as exc:
            raise TimestampError(f"TSA token does not verify: {exc}") from exc
    elif response.tst_info.nonce != tsq.nonce or response.tst_info.message_imprint.message != \
            tsq.message_imprint.message:
        raise TimestampError("TSA token is not for our request")
    return tsr, _utc_naive(response.tst_info.gen_time)


def read_token(tsr: bytes) -> tuple[bytes, datetime]:
    """The digest a token covers and its time, read without checking who signed it; raise TimestampError."""
    try:
        info = decode_timestamp_response(tsr).tst_info
    except ValueError as exc:
        raise TimestampError(f"not a timestamp response: {exc}") from exc
    return info.message_imprint.message, _utc_naive(info.gen_time)


def verify_token(tsr: bytes, data: bytes) -> datetime:
    """Check that `tsr` is a token by a trusted authority over `data`; return its time or raise TimestampError."""
    roots = tsa_roots()
    if not roots:
        raise TimestampError("no trusted TSA certificate configured")
    try:
        response = decode_timestamp_response(tsr)
        verifier = VerifierBuilder()
        for root in roots:
            verifier = verifier.add_root_certificate(root)
        verifier.build().verify_message(response, data)
    except (ValueError, VerificationError) as exc:
        raise TimestampError(str(exc)) from exc
    return _utc_naive(response.tst_info.gen_time)
