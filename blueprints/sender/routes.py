"""Views of the sender blueprint: the manager, asking, a contact's page and its proof."""
from flask import (
    Blueprint, Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints import render_page, wants_partial
from blueprints.sender.forms import AskManyForm, AskOneForm
from consents import clock
from consents.events import first_event_after, history
from consents.exports import export_lines
from consents.l100 import needless_lre
from consents.lifecycle import AskOutcome, remind, request_consents
from consents.models import KINDS, AskBatch
from consents.link_models import ShareLink
from consents.outbox import batch_progress
from consents.postal import latest_address
from consents.queries import LIST_FILTERS, list_consents, sender_consent, status_counts
from consents.receipts import consent_proof, proof_file
from consents.rules import Recipient, RuleError, check_name, normalise_email, parse_recipient_list
from consents.withdrawals import pending_withdrawal
from jobs.dispatch import dispatch

bp = Blueprint("sender", __name__)


def _manager_args() -> dict:
    """Parse the manager's filter, search and page from the query string."""
    status = request.args.get("statut", "")
    try:
        page = min(max(1, int(request.args.get("page", "1"))), 10**6)  # past the last page shows the last one
    except ValueError:
        page = 1
    link = None
    if request.args.get("lien", "").isdigit() and len(request.args["lien"]) < 10:
        link = ShareLink.query.filter_by(id=int(request.args["lien"]), sender_id=current_user.sender_id).first()
    return {"status": status if status in LIST_FILTERS else "", "q": request.args.get("q", "")[:100].strip(), "page": page,
            "link": link}


@bp.route("/gestionnaire")
@login_required
def manager():
    """List the sender's consents with filter, search and pagination; the counts come in their own request."""
    args = _manager_args()
    page = list_consents(current_user.sender_id, status=args["status"] or None, q=args["q"], page=args["page"],
                         link_id=args["link"].id if args["link"] else None)
    return render_page("sender/manager.html", page=page, counts=None, args=args)


@bp.route("/gestionnaire/compteurs")
@login_required
def manager_counts():
    """The manager's filter tabs with their counts, loaded once the list is shown (the list never waits for them)."""
    args = _manager_args()
    counts = status_counts(current_user.sender_id, link_id=args["link"].id if args["link"] else None)
    return render_page("sender/counts.html", counts=counts, args=args)


@bp.route("/gestionnaire/export.csv")
@login_required
def export_csv():
    """The manager's current list (filter, search, link) as a CSV file, streamed."""
    args = _manager_args()
    lines = export_lines(current_user.sender_id, status=args["status"] or None, q=args["q"],
                         link_id=args["link"].id if args["link"] else None,
                         time_zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])
    filename = f"consentements-{clock.now():%Y-%m-%d}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _ask(form, recipients, errors=()):
    """Run an ask; return its outcome, or None when a rule sends the sender back to the form."""
    try:
        outcome = request_consents(current_user.sender, current_user, recipients, form.delay.data,
                                   lre=form.lre, avis=form.avis, reminders=form.reminders.data,
                                   again=form.again.data == "1", paper=form.mode.data == "lro")
    except RuleError as exc:
        form.delay.errors = [*form.delay.errors, str(exc.message)]
        return None
    return dispatch(outcome)


def _ask_result(form, outcome, errors=(), left_out=()):
    """The outcome of an ask: who was asked, who was not and why, and the emails leaving."""
    return render_template("sender/ask_result.html", outcome=outcome, errors=errors, form=form, left_out=left_out,
                           progress=batch_progress(outcome.batch_id) if outcome.batch_id else None)


@bp.route("/gestionnaire/demander", methods=["GET", "POST"])
@login_required
def ask_one():
    """Ask one recipient for consent."""
    form = AskOneForm()
    if request.method == "GET":  # «Corriger l'adresse» on a contact's page comes here with the corrected details
        form.email.data = request.args.get("email", "")[:254]
        form.name.data = request.args.get("nom", "")[:200]
        form.kind.data = request.args.get("type") if request.args.get("type") in KINDS else "particulier"
    if form.validate_on_submit():
        recipient = Recipient(normalise_email(form.email.data), check_name(form.name.data), form.kind.data)
        if needless_lre([recipient], form.lre) and form.professionals.data != "ask":
            # Say before sending that the law does not require this; sending it anyway takes one more click.
            return render_template("sender/ask_one.html", form=form, refusal=None, professional=recipient)
        outcome = _ask(form, [recipient])
        if outcome is not None and outcome.needs_confirmation:
            # Say first when and how this person said no; asking again takes one more deliberate click.
            form.again.data = "1"
            return render_template("sender/ask_one.html", form=form, refusal=outcome.needs_confirmation[0],
                                   professional=None)
        if outcome is not None:
            return _ask_result(form, outcome)
    return (render_template("sender/ask_one.html", form=form, refusal=None, professional=None),
            200 if not form.errors else 422)


@bp.route("/gestionnaire/demander-plusieurs", methods=["GET", "POST"])
@login_required
def ask_many():
    """Ask many recipients from a pasted list; bad lines are reported, good ones still asked."""
    form = AskManyForm()
    if form.validate_on_submit():
        try:
            recipients, errors = parse_recipient_list(form.recipients.data)
        except RuleError as exc:
            form.recipients.errors = [str(exc.message)]
        else:
            if not recipients:
                form.recipients.errors = [_("Aucune ligne valide : corrigez les lignes signalées ci-dessous.")]
                return render_template("sender/ask_many.html", form=form, line_errors=errors, professionals=()), 422
            professionals = needless_lre(recipients, form.lre)
            if professionals and form.professionals.data not in ("ask", "skip"):
                # Before anything leaves: the sender keeps these lines or leaves them out.
                return render_template("sender/ask_many.html", form=form, line_errors=errors,
                                       professionals=professionals)
            left_out = professionals if form.professionals.data == "skip" else []
            recipients = [r for r in recipients if r not in left_out]
            outcome = _ask(form, recipients, errors) if recipients else AskOutcome()  # every line left out
            if outcome is not None:
                return _ask_result(form, outcome, errors, left_out)
    return (render_template("sender/ask_many.html", form=form, line_errors=(), professionals=()),
            200 if not form.errors else 422)


def own(model, row_id: int):
    """The current sender's row of a model (a link, an import, an ask batch), or 404 for anyone else's."""
    row = model.query.filter_by(id=row_id, sender_id=current_user.sender_id).first()
    if row is None:
        abort(404)
    return row


def own_consent(consent_id: int):
    """Return the current sender's consent or answer 404, never revealing another sender's."""
    consent = sender_consent(current_user.sender_id, consent_id)
    if consent is None:
        abort(404)
    return consent


@bp.route("/gestionnaire/contacts/<id:consent_id>")
@login_required
def contact(consent_id: int):
    """Show one contact's consent and its full history."""
    return _contact_page(own_consent(consent_id))


def _contact_page(consent):
    """The contact's page (or its partial for htmx) with its history, proof and any withdrawal request waiting."""
    proof = consent_proof(consent)
    return render_page("sender/contact.html", consent=consent, events=history(consent), proof=proof,
                       withdrawal=pending_withdrawal(consent), address=latest_address(consent),
                       revocation=first_event_after(consent.id, proof.event_id, "revoked") if proof else None)


@bp.route("/gestionnaire/contacts/<id:consent_id>/preuve/<name>")
@login_required
def proof_download(consent_id: int, name: str):
    """Download one piece of the consent's proof; 404 when the consent was never accepted."""
    consent = own_consent(consent_id)
    proof = consent_proof(consent)
    piece = proof_file(proof, name) if proof is not None else None
    if piece is None:
        abort(404)
    content, mimetype = piece
    stem, _dot, ext = name.partition(".")
    filename = f"{stem}-{proof.uuid}.{ext}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/gestionnaire/contacts/<id:consent_id>/relancer", methods=["POST"])
@login_required
def remind_contact(consent_id: int):
    """Send a reminder for a pending request."""
    consent = own_consent(consent_id)
    try:
        dispatch(remind(consent, current_user))
    except RuleError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Relance envoyée à %(email)s.", email=consent.contact.email), "success")
    if wants_partial():
        return _contact_page(consent)
    return redirect(url_for("sender.contact", consent_id=consent.id))


@bp.route("/gestionnaire/envois/<id:batch_id>")
@login_required
def batch_status(batch_id: int):
    """The progress of one ask's emails; polls itself until every email is sent or failed."""
    batch = own(AskBatch, batch_id)
    return render_page("sender/batch_progress.html", batch_id=batch.id, progress=batch_progress(batch.id))
