"""Application factory: configuration, extensions, blueprints, CLI and error handlers."""
from __future__ import annotations

import logging
import os
import secrets
from datetime import date
from pathlib import Path

from flask import Flask, has_request_context, render_template, request, session
from flask_babel import format_date, format_datetime, format_percent, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

import cli
import cli_proofs
import cli_staff
from blueprints import wants_partial
from blueprints.api import bp as api_bp, http_problem
from blueprints.api.core import PREFIX as API_PREFIX
from blueprints.auth import bp as auth_bp
from blueprints.public import bp as public_bp
from blueprints.recipient import bp as recipient_bp
from blueprints.sender import bp as sender_bp
from blueprints.support import bp as support_bp
from consents.clock import days_until
from consents.keys import load_key
from consents.l100 import verdicts
from consents.accounts import load_session_user
from extensions import LANGUAGES, babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from hardening import check_config, register_hardening
from jobs.demo_tsa import demo_folder

DEV_SECRET_FILE = "secret_key"
log = logging.getLogger(__name__)


def _env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def config_from_env(instance_path: str) -> dict:
    """Build the configuration from environment variables, with safe embedded defaults."""
    env = os.environ.get("APP_ENV", "development")
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL", "fakeredis://")
    return {
        "APP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "consentement.db")
        ),
        "REDIS_URL": redis_url,
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "locmem"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL"),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "30")),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Consentement LRE <noreply@consentement-lre.example>"),
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "RATELIMIT_STORAGE_URI", redis_url if redis_url.startswith(("redis://", "rediss://")) else "memory://"
        ),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,  # a refused request says when to try again (Retry-After)
        # When Redis cannot count, limits are counted in memory and the app keeps answering (logged).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK": "120 per minute",  # per address and page, while Redis is away
        "RATELIMIT_SWALLOW_ERRORS": True,
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "1200 per minute"),  # per API key
        "MAX_CONTENT_LENGTH": 1024 * 1024,  # uploads get more, per endpoint (hardening.UPLOAD_LIMITS)
        # How many proxies stand in front of the app (a TLS proxy: 1); 0 trusts no forwarded header.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "DEV_OUTBOX": not production and env != "testing",
        # Receipts are signed with this Ed25519 key (PEM or base64 of the 32 raw bytes, or a PEM file);
        # outside production a key is generated into the instance folder when neither is set.
        "SIGNING_KEY": os.environ.get("SIGNING_KEY"),
        "SIGNING_KEY_FILE": os.environ.get("SIGNING_KEY_FILE"),
        # RFC 3161 time-stamping authority, and the PEM certificates trusted to verify its tokens.
        "TSA_URL": os.environ.get("TSA_URL"),
        # Outside production, the demonstration authority's certificate once `make run` made one: the CLI and a
        # plain `flask run` then check its tokens too.
        "TSA_CA_FILE": os.environ.get("TSA_CA_FILE") or (None if production else _demo_ca(instance_path)),
        # Evidence files of consents obtained offline; the instance folder's `evidence/` when unset.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR"),
        # Who runs this instance, for the legal notice and the privacy page; unset, they say it is not given.
        "OPERATOR": {key: os.environ.get(f"OPERATOR_{key.upper()}", "").strip() for key in
                     ("name", "address", "siren", "email", "director", "host")},
    }


def _demo_ca(instance_path: str) -> str | None:
    """The demonstration authority's CA file, when `make run` created one in this instance folder."""
    path = demo_folder(instance_path) / "ca.crt"
    return str(path) if path.is_file() else None


def _ensure_secret_key(app: Flask) -> None:
    """Outside production, without SECRET_KEY, keep a random key in the instance folder (production checks its own)."""
    if app.config.get("SECRET_KEY") or app.config["APP_ENV"] == "production":
        return
    path = Path(app.instance_path) / DEV_SECRET_FILE
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()


def select_locale() -> str:
    """French unless the visitor chose English or their browser prefers it."""
    if not has_request_context():
        return "fr"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr")


def create_app(config: dict | None = None) -> Flask:
    """Create the application; `config` overrides what the environment says."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_from_env(app.instance_path))
    if config:
        app.config.update(config)
    check_config(app)
    _ensure_secret_key(app)
    register_hardening(app)  # first: its hook bounds the body before CSRF reads the form
    register_extensions(app)
    if app.config["APP_ENV"] == "production":
        # Refuse to start rather than fail on the first acceptance: no receipt may go unsigned.
        with app.app_context():
            load_key()
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    login_manager.user_loader(load_session_user)

    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime, format_percent=format_percent,
                                 days_left=days_until, iso_date=date.fromisoformat, wants_partial=wants_partial,
                                 send_verdicts=verdicts)

    @app.context_processor
    def inject_language():
        return {"current_language": str(get_locale() or "fr"), "dev_outbox_enabled": app.config["DEV_OUTBOX"]}


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per audience."""
    app.register_blueprint(auth_bp)
    app.register_blueprint(sender_bp)
    app.register_blueprint(recipient_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(api_bp)
    if app.config["DEV_OUTBOX"]:
        # Imported only when enabled, so production never even loads the outbox pages.
        from blueprints.dev import bp as dev_bp

        app.register_blueprint(dev_bp)


def register_errorhandlers(app: Flask) -> None:
    """Answer errors with a translated page, never a stack trace."""

    def page(status: int, title: str, message: str):
        if request.path.startswith(API_PREFIX + "/"):  # software reads problem+json, not a page
            return http_problem(status)
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(404)
    def not_found(_error):
        return page(404, _("Page introuvable"), _("Cette adresse ne correspond à aucune page. Vérifiez le lien reçu."))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return page(400, _("Formulaire expiré"), _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et recommencez."))

    @app.errorhandler(400)
    def bad_request(_error):
        return page(400, _("Requête invalide"), _("La demande n'a pas pu être comprise. Rechargez la page et recommencez."))

    @app.errorhandler(405)
    def not_allowed(_error):
        return page(405, _("Action non permise"), _("Cette action n'est pas possible à cette adresse."))

    @app.errorhandler(413)
    def too_large(_error):
        return page(413, _("Envoi trop volumineux"), _("Les données envoyées sont trop volumineuses."))

    @app.errorhandler(429)
    def too_many(_error):
        return page(429, _("Trop de demandes"), _("Vous avez fait trop de demandes en peu de temps. Patientez une minute puis réessayez."))

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return page(500, _("Erreur du service"), _("Une erreur est survenue de notre côté. Rien de ce qui était enregistré n'a été perdu ; réessayez dans un instant."))


def register_cli(app: Flask) -> None:
    """Add the project's CLI commands."""
    cli.register(app)
    cli_proofs.register(app)
    cli_staff.register(app)
