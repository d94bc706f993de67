"""Consents obtained offline: the sender declares one by hand, with its evidence file."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.sender.forms import ManualAddForm
from blueprints.sender.routes import bp
from consents.db import db
from consents.manual import Declaration, Upload, add_manual_consent, store_evidence
from consents.rules import Recipient, RuleError, check_name, normalise_email
from jobs.dispatch import dispatch



def _upload_form(form_class):
    """The form; a body over its endpoint's limit (hardening.UPLOAD_LIMITS) is refused before it is read."""
    try:
        return form_class(), None
    except RequestEntityTooLarge:
        return form_class(formdata=None), _("Le justificatif dépasse 10 Mio.")


@bp.route("/gestionnaire/ajouter", methods=["GET", "POST"])
@login_required
def add_manual():
    """«Ajouter un consentement obtenu hors ligne»: free, «Accepté» at once, with a declaration receipt."""
    form, too_large = _upload_form(ManualAddForm)
    if too_large:
        form.evidence.errors = [too_large]
    elif form.validate_on_submit():
        recipient = Recipient(normalise_email(form.email.data), check_name(form.name.data), form.kind.data)
        upload = form.evidence.data
        try:
            evidence = (store_evidence(current_user.sender, current_user, Upload(upload.filename, upload.read()))
                        if upload and upload.filename else None)
            declaration = Declaration(lre=form.lre, avis=form.avis, obtained_on=form.obtained_on.data,
                                      source=form.source.data, reference=(form.reference.data or "").strip(),
                                      evidence=evidence, confirmed=form.confirm.data)
            outcome = dispatch(add_manual_consent(current_user.sender, current_user, recipient, declaration))
        except RuleError as exc:
            db.session.rollback()
            form.email.errors = [str(exc.message)]
        else:
            flash(_("Consentement de %(email)s ajouté : il est « Accepté », sans frais.", email=recipient.email),
                  "success")
            return redirect(url_for("sender.contact", consent_id=outcome.consent_ids[0]))
    return render_template("sender/add_manual.html", form=form), 422 if form.errors else 200
