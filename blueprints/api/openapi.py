"""The OpenAPI 3.1 document of /api/v1, built from the API's own routes and their docstrings, and its docs page."""
from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from blueprints.api.core import PREFIX, bp
from consents.links import public_url
from consents.webhooks import EVENT_TYPES
from extensions import limiter

_STATUS = {"type": "string", "enum": ["accepted", "refused", "expired", "pending", "revoked", "paper"]}
_PROBLEM = {"description": _l("Erreur (RFC 9457)"), "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Probleme"}}}}
_ERRORS = {"401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM, "429": _PROBLEM}
_FILTERS = [
    {"name": "statut", "in": "query", "schema": _STATUS, "description": _l("Statut actuel")},
    {"name": "depuis", "in": "query", "schema": {"type": "string", "format": "date-time"},
     "description": _l("Modifiés depuis cette date (UTC)")},
]
_ID = [{"name": "consent_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
# What the docstrings and the URL map do not say: parameters, bodies, scopes. Keyed by endpoint.
DETAILS = {
    "api.verification": {"scope": "check", "parameters": [
        {"name": "email", "in": "query", "required": True, "schema": {"type": "string", "format": "email"}},
        {"name": "type", "in": "query", "required": True, "schema": {"type": "string", "enum": ["lre", "avis"]}}]},
    "api.ask": {"scope": "ask", "parameters": [
        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
         "description": _l("Une requête répétée avec la même clé rejoue la première réponse")}],
        "body": {"$ref": "#/components/schemas/Demande"}, "status": "201"},
    "api.consent_list": {"scope": "read", "parameters": [*_FILTERS,
        {"name": "curseur", "in": "query", "schema": {"type": "string"}},
        {"name": "limite", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]},
    "api.consent_detail": {"scope": "read", "parameters": _ID},
    "api.proof": {"scope": "read", "parameters": [
        {"name": "proof_id", "in": "path", "required": True, "schema": {"type": "integer"}}]},
    "api.revocation": {"scope": "ask", "parameters": _ID, "body": {"type": "object", "required": ["source"], "properties": {
        "date_demande": {"type": "string", "format": "date"},
        "source": {"type": "string", "enum": ["email", "courrier", "telephone", "demande_en_ligne", "autre"]},
        "note": {"type": "string", "maxLength": 1000}}}},
    "api.receipt": {"scope": "read", "parameters": _ID,
                    "media": ["application/json", "application/ld+json"]},
    "api.receipts_export": {"scope": "read", "parameters": _FILTERS, "media": ["application/jsonl"]},
}
SCHEMAS = {
    "Probleme": {"type": "object", "properties": {k: {"type": "string"} for k in ("type", "title", "detail", "instance")}
                 | {"status": {"type": "integer"}}},
    "Demande": {"type": "object", "required": ["destinataires"], "properties": {
        "destinataires": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
            "type": "object", "required": ["email"], "properties": {
                "email": {"type": "string", "format": "email"}, "nom": {"type": "string", "maxLength": 200},
                "type": {"type": "string", "enum": ["particulier", "professionnel", "administration"]}}}},
        "delai_jours": {"type": "integer", "minimum": 3, "maximum": 30, "default": 15},
        "usages": {"type": "array", "items": {"type": "string", "enum": ["lre", "avis"]}, "default": ["lre"]},
        "relances": {"type": "boolean", "default": True},
        "redemander_apres_refus": {"type": "boolean", "default": False}}},
    "Webhook": {"type": "object", "properties": {
        "type": {"type": "string", "enum": [*EVENT_TYPES.values(), "test"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "data": {"type": "object", "properties": {"consentement": {"type": "integer"}, "email": {"type": "string"},
                                                   "statut": _STATUS, "sequence": {"type": "integer"},
                                                   "evenement": {"type": "integer"},
                                                   "date": {"type": "string", "format": "date-time"},
                                                   "url": {"type": "string", "format": "uri"}}}}},
}


def _operation(endpoint: str, view) -> dict:
    """One operation: its summary from the view's docstring, its details from DETAILS."""
    detail = DETAILS.get(endpoint, {})
    media = detail.get("media", ["application/json"])
    operation = {
        "operationId": endpoint.removeprefix("api."), "summary": (view.__doc__ or "").strip().splitlines()[0],
        "security": [{"cle": [detail["scope"]]}] if "scope" in detail else [],
        "parameters": [{k: str(v) if k == "description" else v for k, v in p.items()}
                       for p in detail.get("parameters", [])],
        "responses": {detail.get("status", "200"): {"description": "OK", "content": {m: {} for m in media}},
                      **({k: {**v, "description": str(v["description"])} for k, v in _ERRORS.items()}
                         if "scope" in detail else {})},
    }
    if "body" in detail:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": detail["body"]}}}
    return operation


def openapi_document() -> dict:
    """The OpenAPI document, walked from the URL map so that every API route is in it."""
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi", "api.docs"):
            continue
        path = rule.rule.removeprefix(PREFIX)
        for name in ("consent_id", "proof_id"):
            path = path.replace(f"<id:{name}>", "{" + name + "}")
        view = current_app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, view)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Consentement LRE", "version": "1",
                 "description": str(_l("Vérifier le consentement avant chaque LRE, demander, suivre et prouver les "
                                       "consentements. Clé dans l'en-tête Authorization: Bearer."))},
        "servers": [{"url": public_url("api.openapi").removesuffix("/openapi.json")}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS, "securitySchemes": {"cle": {"type": "http", "scheme": "bearer"}}},
        "webhooks": {"consentement": {"post": {"summary": str(_l("Changement d'un consentement (Standard Webhooks)")),
                                               "requestBody": {"content": {"application/json": {
                                                   "schema": {"$ref": "#/components/schemas/Webhook"}}}},
                                               "responses": {"200": {"description": "OK"}}}}},
    }


@bp.get("/openapi.json", endpoint="openapi")
@limiter.limit("60 per minute")
def openapi():
    """The OpenAPI 3.1 document."""
    return jsonify(openapi_document())


@bp.get("/docs", endpoint="docs")
@limiter.limit("60 per minute")
def docs():
    """The API's readable documentation."""
    return render_template("api/docs.html", spec=openapi_document())
