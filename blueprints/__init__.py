"""One blueprint package per audience, plus the helpers views share."""
from __future__ import annotations

from flask import Response, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from consents.rules import RuleError
from extensions import htmx

KIND_CHOICES = [
    ("particulier", _l("Particulier")),
    ("professionnel", _l("Professionnel (entreprise)")),
    ("administration", _l("Administration")),
]


def partial_name(page_template: str) -> str:
    """The partial of a page: `sender/manager.html` -> `sender/partial/manager.html`."""
    folder, _slash, name = page_template.rpartition("/")
    return f"{folder}/partial/{name}"


def wants_partial() -> bool:
    """True for an htmx request that swaps part of a page: not a boosted one, not a history restore."""
    # htmx 2 restores history after a cache miss with HX-Request set: it needs the whole page.
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(page_template: str, status: int = 200, **context) -> Response:
    """Render the page, or only its partial when htmx swaps part of it; caches are told the two differ."""
    template = partial_name(page_template) if wants_partial() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def rule(check):
    """Turn a domain rule (a function raising RuleError) into a WTForms validator."""

    def validator(_form, field):
        if field.data in (None, ""):
            return
        try:
            check(field.data)
        except RuleError as exc:
            raise ValidationError(str(exc.message)) from None

    return validator


def client_ip() -> str | None:
    """The visitor's address as the WSGI server saw it (ProxyFix rewrites it behind a proxy)."""
    return request.remote_addr


def typed_address() -> str:
    """Rate-limit key: the address a form names (each route counts apart), so spreading guesses or resets over
    many IP addresses does not get past the limit."""
    return "address:" + " ".join(request.form.get("email", "").split()).lower()[:254]


def user_agent() -> str:
    """The visitor's browser as it describes itself."""
    return request.user_agent.string
