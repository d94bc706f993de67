"""Staff sign-in with TOTP, sign-out, and the single-use setup link."""
from __future__ import annotations

import io

import segno
from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from blueprints import client_ip, typed_address
from blueprints.support.forms import SetupForm, StaffLoginForm
from blueprints.support.session import bp, end_staff_session, start_staff_session
from consents.db import db
from consents.rules import RuleError
from consents.staff import (
    authenticate_staff, complete_setup, end_staff_sessions, provisioning_uri, recovery_codes_left, setup_account,
    totp_secret,
)
from consents.support import record_access
from extensions import limiter


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=typed_address)
def login():
    """Sign a staff member in with password and second factor."""
    if g.staff is not None:
        return redirect(url_for("support.search"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        staff = authenticate_staff(form.email.data, form.password.data, form.code.data)
        record_access(staff, "sign_in" if staff else "sign_in_failed", target=form.email.data.strip().lower(),
                      ip=client_ip())
        if staff is not None:
            start_staff_session(staff)
            left = recovery_codes_left(staff)
            if left < 3:
                flash(_("Il vous reste %(n)d code(s) de secours : demandez à un administrateur un nouveau lien "
                        "d'activation.", n=left), "error")
            return redirect(url_for("support.search"))
        form.code.errors.append(_("Adresse, mot de passe ou code incorrect (un code déjà utilisé est refusé)."))
    return render_template("support/login.html", form=form), 200 if not form.errors else 422


@bp.route("/deconnexion", methods=["POST"])
def logout():
    """Sign out: this session and any copy of its cookie end on the server."""
    end_staff_sessions(g.staff)
    record_access(g.staff, "sign_out", target=g.staff.email, ip=client_ip())
    end_staff_session()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("support.login"))


def _qr_svg(data: str) -> str:
    """The otpauth address as an inline SVG QR code."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                      title=_("Code QR à scanner avec l'application d'authentification"))
    return out.getvalue().decode("utf-8")


@bp.route("/activer/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def setup(token: str):
    """The single-use setup link: scan the QR code, choose a password, confirm one code, get the recovery codes."""
    staff = setup_account(token)
    if staff is None:
        return render_template("support/setup.html", form=None), 410
    form = SetupForm()
    if form.validate_on_submit():
        try:
            codes = complete_setup(token, form.password.data, form.code.data)
        except RuleError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
        else:
            record_access(staff, "setup", target=staff.email, ip=client_ip())
            return render_template("support/recovery_codes.html", codes=codes)
    return render_template("support/setup.html", form=form, account=staff, secret=totp_secret(staff),
                           qr=_qr_svg(provisioning_uri(staff))), 200 if not (form.errors or form.form_errors) else 422
