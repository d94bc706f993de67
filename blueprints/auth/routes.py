"""Views of the auth blueprint."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints import typed_address
from blueprints.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, SignUpForm
from consents.accounts import (
    authenticate, change_password, confirm_email, end_sessions, register, request_password_reset, reset_password,
    valid_reset,
)
from jobs.dispatch import dispatch
from consents.rules import RuleError
from extensions import LANGUAGES, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Follow only same-site relative redirects."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("sender.manager")


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def signup():
    """Create a sender account; it opens once its address is confirmed by the emailed link."""
    if current_user.is_authenticated:
        return redirect(url_for("sender.manager"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            dispatch(register(form.legal_name.data, form.siren.data, form.email.data, form.password.data))
        except RuleError as exc:
            form.email.errors.append(str(exc.message))
        else:
            # The same page whether the address had an account or not: only its mailbox learns which.
            return render_template("auth/signup.html", form=form, sent=True)
    return render_template("auth/signup.html", form=form, sent=False), 200 if not form.errors else 422


@bp.route("/inscription/confirmer/<token>")
@limiter.limit("20 per minute")
def confirm_email_page(token: str):
    """Confirm the account's address from the emailed link, then sign in."""
    if confirm_email(token) is None:
        return render_template("auth/confirm_failed.html"), 410
    flash(_("Adresse confirmée : connectez-vous pour commencer."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=typed_address)
def login():
    """Log a sender user in."""
    if current_user.is_authenticated:
        return redirect(url_for("sender.manager"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None and user.email_confirmed_at is None:
            form.email.errors.append(_("Confirmez d'abord votre adresse avec le lien reçu par email (pour en recevoir "
                                       "un nouveau, refaites l'inscription avec la même adresse)."))
        elif user is not None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        else:
            form.password.errors.append(_("Adresse email ou mot de passe incorrect."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """Log the current user out: this session and any copy of its cookie end on the server."""
    end_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def change_password_page():
    """Change the password; every other session of the account ends, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data)
        except RuleError as exc:
            form.current.errors.append(str(exc.message))
        else:
            login_user(current_user._get_current_object())  # a new cookie, with the new session version
            flash(_("Mot de passe changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("sender.manager"))
    return render_template("auth/change_password.html", form=form), 200 if not form.errors else 422


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=typed_address)
def forgot_password():
    """Ask for a reset link; the page says the same thing whether the address has an account or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        dispatch(request_password_reset(form.email.data))
        return render_template("auth/forgot_password.html", form=form, sent=True)
    return render_template("auth/forgot_password.html", form=form, sent=False), 200 if not form.errors else 422


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password_page(token: str):
    """Choose a new password through the emailed link (single use, one hour)."""
    if valid_reset(token) is None:
        return render_template("auth/reset_password.html", form=None), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.new.data)
        except RuleError as exc:
            form.new.errors.append(str(exc.message))
        else:
            session.clear()
            flash(_("Mot de passe changé : connectez-vous avec le nouveau."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), 200 if not form.errors else 422


@bp.route("/langue/<code>")
def set_language(code: str):
    """Switch the interface language and come back to the same page."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))
