"""The console: search every sender, one recipient's consents, revoke on request, resend, clear a bounce."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from blueprints import client_ip, render_page
from blueprints.support.forms import FIELD_CHOICES, ActionForm, ClearBounceForm, SupportRevokeForm
from blueprints.support.session import bp
from consents import clock
from consents.db import db
from consents.models import ACCEPTED, Consent, Sender
from consents.queries import FILTERS, list_consents
from consents.rules import RuleError
from consents.support import clear_bounce, record_access, resend_request, revoke_on_request
from consents.support_queries import FIELDS, recipient_consents, search_consents
from jobs.dispatch import dispatch


def _page_arg() -> int:
    """The page asked in the query string (1 when absent or not a number)."""
    try:
        return min(max(1, int(request.args.get("page", "1"))), 10**6)
    except ValueError:
        return 1


@bp.route("")
def search():
    """Search consents across every sender; the results swap in live as the staff member types."""
    field_name = request.args.get("champ", "email")
    args = {"field": field_name if field_name in FIELDS else "email", "q": request.args.get("q", "")[:254].strip()}
    page = _page_arg()
    if args["q"]:
        # Written before the search: its commit would otherwise expire the rows the page is about to show.
        record_access(g.staff, "search", target=args["q"], ip=client_ip(), data={"field": args["field"], "page": page})
    results = search_consents(args["field"], args["q"], page) if args["q"] else None
    return render_page("support/search.html", results=results, args=args, field_choices=FIELD_CHOICES)


def _consent(consent_id: int) -> Consent:
    """A consent of any sender, or 404."""
    consent = db.session.get(Consent, consent_id)
    if consent is None:
        abort(404)
    return consent


def _recipient_page(consent: Consent, form: SupportRevokeForm | None = None, chosen=(), status: int = 200):
    """One address's consents across every sender, with the revocation form."""
    rows = recipient_consents(consent.contact.email)
    if form is None:
        form = SupportRevokeForm()
        form.requested_on.data = clock.now().date()
    accepted = [c.id for c, _sender in rows if c.effective_status == ACCEPTED]
    return render_template("support/recipient.html", consent=consent, email=consent.contact.email, rows=rows,
                           form=form, chosen=set(chosen or accepted), action=ActionForm(),
                           bounce_form=ClearBounceForm(), confirming=False), status


@bp.route("/destinataires/<id:consent_id>")
def recipient(consent_id: int):
    """Every consent of the address of one consent, whatever the sender."""
    consent = _consent(consent_id)
    record_access(g.staff, "view_recipient", target=consent.contact.email, ip=client_ip(), consent=consent)
    return _recipient_page(consent)


@bp.route("/destinataires/<id:consent_id>/revoquer", methods=["POST"])
def revoke(consent_id: int):
    """Revoke the chosen consents of the address: the form, a confirmation step, then «Révoqué» at each sender."""
    consent = _consent(consent_id)
    form = SupportRevokeForm()
    rows = {c.id: (c, sender) for c, sender in recipient_consents(consent.contact.email)}
    chosen = [rows[int(v)] for v in request.form.getlist("consent") if v.isdigit() and int(v) in rows]
    if not form.validate():
        return _recipient_page(consent, form, [c.id for c, _sender in chosen], 422)
    if not chosen:
        form.form_errors.append(_("Choisissez au moins un consentement à révoquer."))
        return _recipient_page(consent, form, (), 422)
    if form.confirm.data != "1":
        form.confirm.data = "1"
        return render_template("support/revoke_confirm.html", consent=consent, form=form, chosen=chosen)
    try:
        outcome = revoke_on_request(g.staff, [c for c, _sender in chosen], requested_on=form.requested_on.data,
                                    source=form.source.data, reference=form.reference.data, reason=form.reason.data,
                                    ip=client_ip())
    except RuleError as exc:
        db.session.rollback()
        form.confirm.data = ""
        form.form_errors.append(str(exc.message))
        return _recipient_page(consent, form, [c.id for c, _sender in chosen], 422)
    dispatch(outcome)
    flash(_("%(n)d consentement(s) révoqué(s) ; le destinataire et chaque expéditeur en sont informés par email.",
            n=len(outcome.consent_ids)), "success")
    return redirect(url_for("support.recipient", consent_id=consent.id))


@bp.route("/consentements/<id:consent_id>/renvoyer", methods=["POST"])
def resend(consent_id: int):
    """Send a pending request's email again."""
    consent = _consent(consent_id)
    try:
        dispatch(resend_request(g.staff, consent, client_ip()))
    except RuleError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Demande renvoyée à %(email)s.", email=consent.contact.email), "success")
    return redirect(url_for("support.recipient", consent_id=consent.id))


@bp.route("/consentements/<id:consent_id>/adresse-valide", methods=["POST"])
def address_confirmed(consent_id: int):
    """Lift «adresse invalide» once the recipient confirmed the address."""
    consent = _consent(consent_id)
    form = ClearBounceForm()
    if not form.validate():
        flash(" ".join(map(str, form.reason.errors)), "error")
    else:
        try:
            dispatch(clear_bounce(g.staff, consent, reason=form.reason.data, ip=client_ip()))
        except RuleError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("« Adresse invalide » levée pour %(email)s.", email=consent.contact.email), "success")
    return redirect(url_for("support.recipient", consent_id=consent.id))


@bp.route("/expediteurs/<id:sender_id>")
def sender_view(sender_id: int):
    """A sender's manager, read-only: its consents with filter, search and pages."""
    sender = db.session.get(Sender, sender_id)
    if sender is None:
        abort(404)
    status = request.args.get("statut", "")
    args = {"status": status if status in FILTERS else "", "q": request.args.get("q", "")[:100].strip()}
    record_access(g.staff, "view_sender", target=sender.legal_name, ip=client_ip(), sender_id=sender.id,
                  data={"status": args["status"], "q": args["q"], "page": _page_arg()})
    page = list_consents(sender.id, status=args["status"] or None, q=args["q"], page=_page_arg())
    return render_template("support/sender.html", sender=sender, page=page, args=args)
