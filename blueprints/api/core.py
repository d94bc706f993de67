"""The API's plumbing: the blueprint, Bearer keys with scopes, per-key rate limits, problem+json errors."""
from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, Response, abort, g, request
from flask_babel import get_locale
from flask_babel import gettext as _

from blueprints.api.quota import count_request
from consents.api_keys import PresentedKey, authenticate
from consents.evidence_models import Proof
from consents.links import public_url
from consents.receipts import receipt_bytes
from extensions import csrf

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # a Bearer key, never a cookie, authenticates here: no CSRF to fear


class ApiError(Exception):
    """An error the API answers as problem+json."""

    def __init__(self, status: int, code: str, title: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.code, self.title, self.detail, self.extra = status, code, title, detail, extra


def problem(status: int, code: str, title: str, detail: str, headers: dict | None = None, **extra) -> Response:
    """An RFC 9457 problem document in the request's language."""
    body = {"type": f"{public_url('api.docs')}#{code}", "title": title, "status": status,
            "detail": detail, "instance": request.path, **extra}
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM, headers=headers)
    response.headers["Content-Language"] = str(get_locale() or "fr")
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """Answer an ApiError as problem+json."""
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if error.status == 401 else None
    return problem(error.status, error.code, error.title, error.detail, headers=headers, **error.extra)


def http_problem(status: int) -> Response:
    """The problem+json answer of an HTTP error raised anywhere under /api/v1 (the app's error handlers call it)."""
    titles = {
        400: (_("Requête invalide"), _("La requête n'a pas pu être comprise.")),
        404: (_("Introuvable"), _("Aucune ressource à cette adresse, ou elle appartient à un autre expéditeur.")),
        405: (_("Méthode non permise"), _("Cette méthode n'est pas possible à cette adresse.")),
        413: (_("Requête trop volumineuse"), _("Le corps de la requête dépasse la taille permise.")),
        429: (_("Trop de requêtes"), _("La limite de requêtes de cette clé est atteinte : réessayez après le délai "
                                       "indiqué par Retry-After.")),
        500: (_("Erreur du service"), _("Une erreur est survenue de notre côté ; rien de ce qui était enregistré n'a "
                                        "été perdu. Réessayez dans un instant.")),
    }
    title, detail = titles.get(status, titles[400])
    return problem(status, {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited",
                            500: "server_error"}.get(status, "bad_request"), title, detail)


@bp.after_request
def no_store(response: Response) -> Response:
    """API answers are personal data, never cached; each tells where its key stands in its quota."""
    response.headers.setdefault("Cache-Control", "no-store")
    if g.get("quota") is not None:
        for name, value in g.quota.headers().items():
            response.headers.setdefault(name, value)
    return response


def presented_token() -> str:
    """The Bearer token of the request, counted against its quota; else a 401 or 429 problem."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", _("Clé d'API manquante"),
                       _("Présentez une clé d'API dans l'en-tête « Authorization: Bearer lre_… »."))
    g.quota = count_request(token)  # before the key is looked up: a flood costs no query
    if g.quota is not None and g.quota.exceeded:
        abort(429)
    return token


def admit(key: PresentedKey | None, scope: str) -> PresentedKey:
    """Keep a live key with `scope` in g.api_key; else a 401 or 403 problem."""
    if key is None:
        raise ApiError(401, "unauthorized", _("Clé d'API refusée"), _("Cette clé d'API est inconnue ou a été révoquée."))
    if not key.allows(scope):
        raise ApiError(403, "forbidden", _("Droit manquant"),
                       _("Cette clé n'a pas le droit « %(scope)s ».", scope=scope), scope=scope)
    g.api_key = key
    return key


def requires(scope: str):
    """Decorate a view: a live key with `scope` in `Authorization: Bearer`, put in g.api_key; else 401, 403 or 429."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            admit(authenticate(presented_token()), scope)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def json_body() -> dict:
    """The request's JSON object, or a 400 problem that says why it cannot be read."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):  # RecursionError: JSON nested beyond reason
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("JSON invalide"), _("Le corps doit être un objet JSON."))
    return body


def invalid(detail: str, **extra) -> ApiError:
    """A 422 problem: the request was read but a rule refuses it."""
    return ApiError(422, "invalid", _("Données refusées"), detail, **extra)


def signed_receipt(proof: Proof) -> Response:
    """A receipt's exact signed bytes, its signature in a header so that it checks against the body as received."""
    return Response(receipt_bytes(proof), mimetype="application/json", headers={
        "Receipt-Signature": f'alg="EdDSA", kid="{proof.key_id}", sig="{proof.signature}"'})
