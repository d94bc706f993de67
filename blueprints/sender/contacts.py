"""A contact's page actions: record a revocation (in two steps), correct the name and kind."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.sender.forms import EditContactForm, RevokeForm
from blueprints.sender.routes import bp, own_consent
from consents import clock
from consents.contacts import edit_contact
from consents.rules import RuleError
from consents.withdrawals import ONLINE, pending_withdrawal, revoke_consent
from jobs.dispatch import dispatch


@bp.route("/gestionnaire/contacts/<id:consent_id>/revoquer", methods=["GET", "POST"])
@login_required
def revoke_contact(consent_id: int):
    """Record the recipient's withdrawal: the form, a confirmation step, then «Révoqué» everywhere."""
    consent = own_consent(consent_id)
    withdrawal = pending_withdrawal(consent)
    form = RevokeForm()
    if not form.is_submitted():
        # A request made from the receipt's link fills in its date and its way in.
        form.requested_on.data = (withdrawal.created_at if withdrawal else clock.now()).date()
        form.source.data = ONLINE if withdrawal else "email"
    elif form.validate():
        if form.confirm.data != "1":
            form.confirm.data = "1"
            return render_template("sender/revoke.html", consent=consent, form=form, withdrawal=withdrawal,
                                   confirming=True)
        try:
            dispatch(revoke_consent(consent, user=current_user, requested_on=form.requested_on.data,
                                    source=form.source.data, note=form.note.data or ""))
        except RuleError as exc:
            form.confirm.data = ""
            form.requested_on.errors = [str(exc.message)]
        else:
            flash(_("Consentement révoqué. %(email)s en reçoit la confirmation par email.", email=consent.contact.email),
                  "success")
            return redirect(url_for("sender.contact", consent_id=consent.id))
    return render_template("sender/revoke.html", consent=consent, form=form, withdrawal=withdrawal,
                           confirming=False), 422 if form.errors else 200


@bp.route("/gestionnaire/contacts/<id:consent_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_contact_page(consent_id: int):
    """Correct a contact's name and kind; a corrected address is a new contact, asked anew."""
    consent = own_consent(consent_id)
    contact = consent.contact
    form = EditContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            edit_contact(consent, current_user, name=form.name.data, kind=form.kind.data)
        except RuleError as exc:
            form.name.errors = [str(exc.message)]
        else:
            flash(_("Contact modifié."), "success")
            return redirect(url_for("sender.contact", consent_id=consent.id))
    return render_template("sender/edit_contact.html", consent=consent, form=form), 422 if form.errors else 200
