"""What keeps the app safe whatever it is sent: configuration that fails closed, body limits, clean input, headers."""
from __future__ import annotations

import flask
from flask import Flask, abort, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from consents.imports import MAX_IMPORT_BYTES
from consents.storage import MAX_EVIDENCE_BYTES
from consents.verification import MAX_UPLOAD

APP_ENVS = ("development", "testing", "production")
MAX_BODY = 1024 * 1024  # every form but the uploads fits in far less
UPLOAD_ROOM = 512 * 1024  # the form's other fields and the multipart envelope
UPLOAD_LIMITS = {  # endpoints that take a file, and how large a body they accept
    "sender.add_manual": MAX_EVIDENCE_BYTES + UPLOAD_ROOM,
    "sender.import_upload": MAX_IMPORT_BYTES + UPLOAD_ROOM,
    "sender.import_preview": MAX_EVIDENCE_BYTES + UPLOAD_ROOM,  # the shared evidence file of a recorded import
    "public.verify_upload": MAX_UPLOAD + 64 * 1024,
}
# Public pages that show a person's address or answer: no cache keeps them.
PERSONAL_ENDPOINTS = {"recipient.answer", "recipient.submit_answer", "recipient.confirm_link",
                      "recipient.submit_confirmation", "recipient.withdraw", "public.receipt_status",
                      "public.verify_upload"}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
_PLACEHOLDERS = ("change", "secret", "example", "password", "xxxx")


class CleanRequest(flask.Request):
    """A request whose form values hold no NUL byte: nobody types one, and no database text can store it."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if any("\x00" in value for _key, value in self.form.items(multi=True)):
            self.form = self.parameter_storage_class(
                [(key, value.replace("\x00", "")) for key, value in self.form.items(multi=True)])


class RowId(IntegerConverter):
    """`<id:name>` in a route: an integer a database id can be; a larger one is «page introuvable», not an error."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, max=2**31 - 1)


def check_config(app: Flask) -> None:
    """Refuse to start on a configuration that would run unsafely: an unknown environment, debug or a weak key."""
    env = app.config.get("APP_ENV")
    if env not in APP_ENVS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(APP_ENVS)} (got {env!r}): refusing to start.")
    if env != "production":
        return
    if app.debug:
        raise RuntimeError("Debug mode is refused in production: unset FLASK_DEBUG.")
    key = app.config.get("SECRET_KEY") or ""
    if len(key) < 32 or len(set(key)) < 12 or any(word in key.lower() for word in _PLACEHOLDERS):
        raise RuntimeError("SECRET_KEY must be random, at least 32 characters (python -c \"import secrets; "
                           "print(secrets.token_hex(32))\"): refusing to start.")
    if not app.config.get("TSA_URL"):
        # `make run` brings its own demonstration authority; production needs a real, qualified one.
        raise RuntimeError("TSA_URL (and TSA_CA_FILE) must name a qualified time-stamping authority in production: "
                           "refusing to start.")


def register_hardening(app: Flask) -> None:
    """Trust the configured proxies, bound every body, refuse NUL bytes in addresses, and send the headers."""
    app.request_class = CleanRequest
    app.url_map.converters["id"] = RowId
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind N proxies the client is the N-th address from the right: rate limits and proofs then see it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    # Before any other hook (CSRF reads the form): the limit must be known before the body is read.
    @app.before_request
    def bound_and_check():
        request.max_content_length = UPLOAD_LIMITS.get(request.endpoint, app.config["MAX_CONTENT_LENGTH"])
        if "\x00" in request.path or b"%00" in request.query_string.lower() or b"\x00" in request.query_string:
            abort(400)

    app.before_request_funcs.setdefault(None, []).insert(0, app.before_request_funcs[None].pop())

    @app.after_request
    def headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config["APP_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "Cache-Control" not in response.headers and (
                request.endpoint in PERSONAL_ENDPOINTS or current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response
