"""One blueprint package per audience, plus the helpers views share."""
from __future__ import annotations

from flask import render_template
from wtforms.validators import ValidationError

from consents.rules import RuleError
from extensions import htmx


def render_htmx_template(page_template: str, partial_template: str, **context) -> str:
    """Render only the partial for an htmx request that is not boosted, else the whole page."""
    if htmx and not htmx.boosted:
        return render_template(partial_template, **context)
    return render_template(page_template, **context)


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
    from flask import request
    return request.remote_addr
