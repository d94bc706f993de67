"""API views of consents: the list by cursor, one consent, its revocation, its receipt, all receipts as JSON Lines."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Response, g, jsonify, request, stream_with_context
from flask_babel import gettext as _

from blueprints.api.core import ApiError, bp, invalid, json_body, requires, signed_receipt
from consents import clock
from consents.api_documents import (
    EXPIRED, MAX_PAGE, BadCursor, consent_detail, consent_document, consent_page, dpv_receipt, receipt_lines,
)
from consents.models import STATUSES
from consents.queries import sender_consent
from consents.receipts import consent_proof
from consents.rules import RuleError
from consents.withdrawals import REVOCATION_SOURCES, revoke_consent
from jobs.dispatch import dispatch


def _filters() -> dict:
    """The list filters of the query string: statut, depuis (ISO 8601, UTC)."""
    status = request.args.get("statut") or None
    if status is not None and status not in (*STATUSES, EXPIRED):
        raise invalid(_("« statut » vaut accepted, refused, expired, pending ou revoked."), parametre="statut")
    since = request.args.get("depuis") or None
    if since is not None:
        try:
            since = datetime.fromisoformat(since.replace("Z", "+00:00")[:40])
        except ValueError:
            raise invalid(_("« depuis » doit être une date ISO 8601, par exemple 2026-11-30T08:00:00Z."),
                          parametre="depuis") from None
        if since.tzinfo is not None:
            since = since.astimezone(timezone.utc).replace(tzinfo=None)
    return {"status": status, "since": since}


def _own(consent_id: int):
    """The key's sender's consent, or 404: another sender's consent does not exist here."""
    consent = sender_consent(g.api_key.sender_id, consent_id)
    if consent is None:
        raise ApiError(404, "not_found", _("Introuvable"), _("Aucun consentement de cet expéditeur n'a cet identifiant."))
    return consent


@bp.get("/consentements")
@requires("read")
def consent_list():
    """The sender's consents in the order they changed, a page at a time."""
    try:
        limit = min(max(1, int(request.args.get("limite", "50"))), MAX_PAGE)
    except ValueError:
        raise invalid(_("« limite » est un nombre entre 1 et %(max)d.", max=MAX_PAGE), parametre="limite") from None
    try:
        rows, cursor = consent_page(g.api_key.sender_id, cursor=request.args.get("curseur"), limit=limit, **_filters())
    except BadCursor:
        raise invalid(_("Ce curseur n'a pas été donné par cette API."), parametre="curseur") from None
    return jsonify({"donnees": [consent_document(c) for c in rows], "curseur_suivant": cursor})


@bp.get("/consentements/<id:consent_id>", endpoint="consent_detail")
@requires("read")
def consent_detail_view(consent_id: int):
    """One consent with its history and its receipt's links."""
    return jsonify(consent_detail(_own(consent_id)))


@bp.post("/consentements/<id:consent_id>/revocation")
@requires("ask")
def revocation(consent_id: int):
    """Record the recipient's withdrawal, as the contact page's «Révoquer» does."""
    consent = _own(consent_id)
    body = json_body()
    try:
        requested_on = date.fromisoformat(str(body.get("date_demande") or clock.now().date().isoformat()))
    except ValueError:
        raise invalid(_("« date_demande » est une date AAAA-MM-JJ."), champ="date_demande") from None
    source = body.get("source", "")
    if source not in REVOCATION_SOURCES:
        raise invalid(_("« source » vaut %(sources)s.", sources=", ".join(REVOCATION_SOURCES)), champ="source")
    try:
        dispatch(revoke_consent(consent, user=g.api_key.created_by, requested_on=requested_on, source=source,
                                note=str(body.get("note") or "")))
    except RuleError as exc:
        raise invalid(str(exc.message)) from None
    return jsonify(consent_document(consent))


@bp.get("/consentements/<id:consent_id>/recu")
@requires("read")
def receipt(consent_id: int):
    """The signed receipt (Kantara Consent Receipt v1.1 names), or in W3C DPV terms for application/ld+json."""
    consent = _own(consent_id)
    proof = consent_proof(consent)
    if proof is None:
        raise ApiError(404, "no_receipt", _("Pas de reçu"), _("Ce consentement n'a jamais été accepté : il n'a pas de reçu."))
    if request.accept_mimetypes.best_match(["application/json", "application/ld+json"]) == "application/ld+json":
        return Response(jsonify(dpv_receipt(consent, proof)).get_data(), mimetype="application/ld+json")
    return signed_receipt(proof)


@bp.get("/recus.jsonl")
@requires("read")
def receipts_export():
    """Every receipt of a filter as one JSON Lines file, streamed."""
    lines = receipt_lines(g.api_key.sender_id, **_filters())
    return Response(stream_with_context(lines), mimetype="application/jsonl",
                    headers={"Content-Disposition": f'attachment; filename="recus-{clock.now():%Y-%m-%d}.jsonl"'})
