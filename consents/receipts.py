"""Receipts of accepted consents: the canonical JSON, its signature, the withdrawal link and the proof's files."""
from __future__ import annotations

import base64
import io
import json
import secrets
import uuid
import zipfile

from flask import render_template
from flask_babel import force_locale

from consents import clock
from consents.canonical import canonical_json, sha256_hex
from consents.certificate import render_certificate
from consents.db import db
from consents.events import event_time, history
from consents.keys import load_key, published_keys, register_key
from consents.links import public_url
from consents.models import Consent, ConsentRequest, Contact, OutboundEmail, Sender, User, utc_iso
from consents.evidence_models import EvidenceFile, Proof
from consents.proof_emails import queue_receipt_email
from consents.proof_parts import receipt_bytes, signature_envelope, signed_files
from consents.rules import Recipient
from consents.storage import evidence_store
from consents.timestamps import tsa_ca_pem

RECEIPT_VERSION = "KI-CR-v1.1.0"
PROFILE = "consentement-lre/1"
DECLARATION_PROFILE = "consentement-lre/declaration-1"
DECLARATION_NOTICE = ("Consentement déclaré par l'expéditeur, obtenu hors de la plateforme : il n'a pas été "
                      "donné sur la plateforme, qui n'atteste que la déclaration et le justificatif déposé.")
PAPER_PROFILE = "consentement-lre/papier-1"
PAPER_NOTICE = ("Le destinataire a choisi de recevoir ses courriers recommandés sur papier, à l'adresse postale "
                "ci-dessous : ce reçu de date certaine l'atteste (art. 42-1 de la loi du 10 juillet 1965, "
                "décret n° 2025-1292).")
_SERVICES = {
    "lre": ("Lettre recommandée électronique", "Recevoir des lettres recommandées électroniques (art. L100 CPCE)"),
    "avis": ("Avis électronique", "Recevoir des avis électroniques"),
}


def _withdrawal_hash(token: str) -> str:
    """The SHA-256 under which a withdrawal link's token is stored."""
    return sha256_hex(token.encode("utf-8"))


def build_receipt(*, receipt_id: str, sender: Sender, requested_by: User | None, contact: Contact | Recipient,
                  channel: str, request: ConsentRequest | None, event: dict) -> dict:
    """The receipt of one acceptance (`event` is its history row): Kantara Consent Receipt v1.1 names, then ours."""
    data = event["data"] or {}
    scope = data["scope"]
    return {
        "version": RECEIPT_VERSION,
        "profile": PROFILE,
        "consentReceiptID": receipt_id,
        "jurisdiction": "FR",
        "legalBasis": "CPCE art. L100",
        "consentTimestamp": utc_iso(event["created_at"]),
        "collectionMethod": channel,
        "language": data.get("language"),
        "piiPrincipalId": contact.email,
        "piiPrincipal": {"name": contact.name or None, "email": contact.email, "kind": contact.kind},
        "piiControllers": [{
            "piiController": sender.legal_name,
            "siren": sender.siren or None,
            "requestedBy": requested_by.email if requested_by is not None else None,
        }],
        "services": [
            {"service": _SERVICES[key][0], "purposes": [{
                "purpose": _SERVICES[key][1], "consentType": "EXPLICIT", "primaryPurpose": True,
                "termination": "Jusqu'au retrait demandé par le destinataire", "thirdPartyDisclosure": False,
            }]}
            for key in scope
        ],
        "scope": scope,
        "sensitive": False,
        "consentText": {"version": data.get("text_version"), "sha256": data.get("text_sha256"),
                        "language": data.get("language")},
        "request": {
            "sentAt": utc_iso(request.sent_at) if request else None,
            "deadline": utc_iso(request.deadline) if request else None,
            "delayDays": request.delay_days if request else None,
        },
        "answer": {"at": utc_iso(event["created_at"]), "ip": event["ip"], "userAgent": event["user_agent"]},
        "history": {"eventKind": event["kind"], "eventHash": event["hash"], "previousHash": event["prev_hash"]},
        "verificationUrl": public_url("public.receipt_status", receipt_id=receipt_id),
    } | (_declaration(data) if event["kind"] == "added_manually" else {}) | (
        _paper_choice(data) if event["kind"] == "paper_chosen" else {})


def _declaration(data: dict) -> dict:
    """What a receipt of a consent added by hand says in place of an answer given on the platform."""
    return {"profile": DECLARATION_PROFILE, "declaration": {
        "notice": DECLARATION_NOTICE, "obtainedOn": data.get("obtained_on"), "source": data.get("source"),
        "reference": data.get("reference"), "evidence": data.get("evidence"),
    }}


def _paper_choice(data: dict) -> dict:
    """What a receipt of a paper choice says in place of a consent: paper letters, at this postal address."""
    return {"profile": PAPER_PROFILE, "services": [{"service": "Courrier recommandé papier", "purposes": [{
        "purpose": "Recevoir les courriers recommandés sur papier, à l'adresse postale indiquée",
        "consentType": "EXPLICIT", "primaryPurpose": True,
        "termination": "Jusqu'à un nouveau choix du destinataire", "thirdPartyDisclosure": False,
    }]}], "paperChoice": {"notice": PAPER_NOTICE, "via": data.get("via"), "receiptId": data.get("receipt_id"),
                          "postalAddress": data["address"]}}


def is_paper_choice(proof: Proof) -> bool:
    """True when a proof is the receipt of a paper choice rather than of a consent."""
    return json.loads(proof.receipt).get("profile") == PAPER_PROFILE


def sign(receipt_bytes: bytes) -> tuple[str, str]:
    """Sign the canonical receipt with the current key; return (key id, base64 signature)."""
    key = load_key()
    return key.kid, base64.b64encode(key.private.sign(receipt_bytes)).decode("ascii")


def signed_proof(*, consent_id: int, sender: Sender, contact: Contact | Recipient, channel: str, event: dict,
                 request: ConsentRequest | None = None) -> tuple[dict, str]:
    """The columns of a new proof (its receipt built and signed) and the clear token of its withdrawal link."""
    receipt_id = str(uuid.uuid4())
    requested_by = request.requested_by if request is not None else None
    body = canonical_json(build_receipt(receipt_id=receipt_id, sender=sender, requested_by=requested_by,
                                        contact=contact, channel=channel, request=request, event=event))
    key = load_key()
    register_key(key)
    kid, signature = sign(body)
    token = secrets.token_urlsafe(24)
    return {"uuid": receipt_id, "consent_id": consent_id, "event_id": event["id"], "receipt": body.decode("utf-8"),
            "receipt_sha256": sha256_hex(body), "key_id": kid, "signature": signature, "timestamp_attempts": 0,
            "withdrawal_token_hash": _withdrawal_hash(token), "created_at": clock.now()}, token


def issue_proof(consent: Consent, event: dict, request: ConsentRequest | None) -> list[Proof | OutboundEmail]:
    """Create the signed receipt of an acceptance (or of a paper choice) and the recipient's copy, in the transaction."""
    sender = db.session.get(Sender, consent.sender_id)
    fields, token = signed_proof(consent_id=consent.id, sender=sender, contact=consent.contact,
                                 channel=consent.channel, event=event, request=request)
    proof = Proof(**fields)
    db.session.add(proof)
    db.session.flush()  # the receipt email attaches the proof by its id
    return [proof, queue_receipt_email(proof, sender, token, language=(event["data"] or {}).get("language") or "fr",
                                       paper=event["kind"] == "paper_chosen")]


def consent_proof(consent: Consent) -> Proof | None:
    """The proof of the consent's latest acceptance, or None when it was never accepted."""
    return Proof.query.filter_by(consent_id=consent.id).order_by(Proof.id.desc()).first()


def proof_by_withdrawal_token(token: str) -> Proof | None:
    """The proof whose emailed withdrawal link carries `token`."""
    return Proof.query.filter_by(withdrawal_token_hash=_withdrawal_hash(token or "")).first()


def history_document(consent: Consent) -> dict:
    """The consent's chained history as JSON, for the proof folder."""
    return {"consentId": consent.id, "headHash": consent.head_hash, "events": [
        {"id": e.id, "kind": e.kind, "actor": e.actor, "actorUserId": e.actor_user_id,
         "createdAt": event_time(e.created_at), "requestId": e.request_id, "ip": e.ip,
         "userAgent": e.user_agent, "data": e.data, "prevHash": e.prev_hash, "hash": e.hash}
        for e in history(consent)
    ]}


PROOF_FILES = ("certificat.pdf", "recu.json", "recu.sig.json", "recu.tsr", "dossier.zip")


def proof_file(proof: Proof, name: str) -> tuple[bytes, str] | None:
    """One downloadable piece of a proof (bytes, MIME type), or None when it does not exist (yet)."""
    if name == "certificat.pdf":
        return render_certificate(proof), "application/pdf"
    if name == "recu.json":
        return receipt_bytes(proof), "application/json"
    if name == "recu.sig.json":
        return canonical_json(signature_envelope(proof)), "application/json"
    if name == "recu.tsr":
        return (proof.tsr, "application/timestamp-reply") if proof.tsr is not None else None
    if name == "dossier.zip":
        return proof_folder(proof), "application/zip"
    return None


def proof_folder(proof: Proof) -> bytes:
    """The «dossier de preuve»: receipt, signature, token, keys, history, certificate and a French README."""
    ca = tsa_ca_pem()
    files = {
        **signed_files(proof),
        "cles-publiques.json": json.dumps(published_keys(), indent=2).encode("utf-8"),
        "historique.json": json.dumps(history_document(proof.consent), indent=2, ensure_ascii=False).encode("utf-8"),
        "certificat.pdf": render_certificate(proof),
    }
    evidence = json.loads(proof.receipt).get("declaration", {}).get("evidence")
    if evidence:
        stored = db.session.get(EvidenceFile, evidence["id"])
        files[f"justificatif-{evidence['filename']}"] = evidence_store().read(stored.storage_key)
    if ca is not None:
        files["tsa-ca.pem"] = ca
    with force_locale("fr"):
        files["LISEZMOI.txt"] = render_template("proofs/LISEZMOI.txt", proof=proof, has_tsr=proof.tsr is not None,
                                                has_ca=ca is not None, verify_url=public_url("public.verify")).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=proof.created_at.timetuple()[:6]), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
