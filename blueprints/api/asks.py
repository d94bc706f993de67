"""API view of asking: POST /demandes, the same verb and rules as the ask forms, idempotent per key."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from blueprints.api.core import ApiError, bp, invalid, json_body, requires
from consents.idempotency import MAX_KEY, keep_reply, same_request, stored_reply
from consents.lifecycle import request_consents
from consents.rules import MAX_BULK_LINES, Recipient, RuleError, check_kind, check_name, normalise_email
from jobs.dispatch import dispatch


def _recipients(body: dict) -> list[Recipient]:
    """The recipients of the body, each checked as the forms check them; every bad one is named in one 422."""
    items = body.get("destinataires")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BULK_LINES:
        raise invalid(_("« destinataires » est une liste de 1 à %(max)d destinataires.", max=MAX_BULK_LINES),
                      champ="destinataires")
    recipients, errors, seen = [], [], set()
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        try:
            recipient = Recipient(normalise_email(str(item.get("email") or "")), check_name(str(item.get("nom") or "")),
                                  check_kind(str(item.get("type") or "particulier")))
        except RuleError as exc:
            errors.append({"index": index, "erreur": str(exc.message)})
            continue
        if recipient.email in seen:
            errors.append({"index": index, "erreur": _("Adresse présente deux fois dans la liste.")})
            continue
        seen.add(recipient.email)
        recipients.append(recipient)
    if errors:
        raise invalid(_("Des destinataires sont invalides : rien n'a été demandé."), erreurs=errors)
    return recipients


def _reply(outcome) -> dict:
    """What an ask did to each recipient."""
    asked = dict(zip((r.email for r in outcome.asked), outcome.consent_ids))
    results = [{"email": r.email, "resultat": "demande", "consentement": asked[r.email]} for r in outcome.asked]
    results += [{"email": r.email, "resultat": "deja_accepte"} for r in outcome.already_accepted]
    results += [{"email": r.email, "resultat": "deja_en_attente"} for r in outcome.already_pending]
    results += [{"email": p.recipient.email, "resultat": "refus_a_confirmer", "statut": p.status,
                 "date": p.at.strftime("%Y-%m-%dT%H:%M:%SZ") if p.at else None} for p in outcome.needs_confirmation]
    return {"lot": outcome.batch_id, "demandes": len(outcome.asked), "resultats": results,
            "professionnels_lre_seule": [r.email for r in outcome.professional_lre_only]}


@bp.post("/demandes")
@requires("ask")
def ask():
    """Ask one or up to 1,000 recipients for consent; a repeated Idempotency-Key replays the first reply."""
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency_key) > MAX_KEY:
        raise invalid(_("L'en-tête Idempotency-Key dépasse %(max)d caractères.", max=MAX_KEY))
    raw = request.get_data(cache=True)
    if idempotency_key:
        kept = stored_reply(g.api_key, idempotency_key)
        if kept is not None and not same_request(kept, raw):
            raise ApiError(422, "idempotency_mismatch", _("Clé d'idempotence déjà utilisée"),
                           _("Cette Idempotency-Key a déjà servi pour une autre requête."))
        if kept is not None:
            response = jsonify(kept.body)
            response.status_code, response.headers["Idempotent-Replayed"] = kept.status_code, "true"
            return response
    body = json_body()
    recipients = _recipients(body)
    usages = body.get("usages", ["lre"])
    if not isinstance(usages, list) or not set(usages) <= {"lre", "avis"}:
        raise invalid(_("« usages » est une liste parmi « lre » et « avis »."), champ="usages")
    try:
        outcome = request_consents(g.api_key.sender, g.api_key.created_by, recipients, body.get("delai_jours", 15),
                                   lre="lre" in usages, avis="avis" in usages,
                                   reminders=body.get("relances", True) is not False,
                                   again=body.get("redemander_apres_refus") is True)
    except RuleError as exc:
        raise invalid(str(exc.message)) from None
    dispatch(outcome)
    reply = _reply(outcome)
    if idempotency_key:
        keep_reply(g.api_key, idempotency_key, raw, 201, reply)
    return jsonify(reply), 201
