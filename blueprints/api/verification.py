"""API view of the L100 check, called before every letter: may this sender send this address an LRE or an avis?"""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from blueprints.api.core import ApiError, admit, bp, invalid, presented_token, requires, signed_receipt
from consents.api_keys import authenticate, authenticate_and_check
from consents.evidence_models import Proof
from consents.l100 import check_mail_type
from consents.links import public_url
from consents.models import Consent, utc_iso
from consents.rules import RuleError, normalise_email


@bp.get("/verification", endpoint="verification")
def verification():
    """The L100 answer for one address and one mail type: may send, why, since when, and the proof."""
    token = presented_token()
    email, mail_type = request.args.get("email", "")[:254], request.args.get("type", "")
    try:
        normalised = normalise_email(email)
        check_mail_type(mail_type)
    except RuleError as exc:
        admit(authenticate(token), "check")  # who asks is answered before what is wrong with the question
        raise invalid(str(exc.message)) from None
    # The key and the verdict come in one read: this is called before every letter a sender's software sends.
    key, verdict = authenticate_and_check(token, normalised, mail_type)
    admit(key, "check")
    return jsonify({
        "email": email.strip(), "type": mail_type, "autorise": verdict.allowed, "raison": verdict.reason,
        "libelle": verdict.label(), "depuis": utc_iso(verdict.since),
        "preuve": public_url("api.proof", proof_id=verdict.proof_id) if verdict.proof_id else None,
    })


@bp.get("/preuves/<id:proof_id>", endpoint="proof")
@requires("read")
def proof(proof_id: int):
    """The signed receipt a verification names, as its consent's receipt."""
    found = (Proof.query.join(Consent, Consent.id == Proof.consent_id)
             .filter(Proof.id == proof_id, Consent.sender_id == g.api_key.sender_id).first())
    if found is None:
        raise ApiError(404, "not_found", _("Introuvable"), _("Aucune preuve de cet expéditeur n'a cet identifiant."))
    return signed_receipt(found)
