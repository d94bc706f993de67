"""Views of the sender blueprint: the manager, asking, a contact's page and its proof."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints import render_page, wants_partial
from blueprints.sender.forms import AskManyForm, AskOneForm
from consents.events import history
from consents.lifecycle import remind, request_consents
from consents.models import AskBatch, ShareLink
from consents.outbox import batch_progress
from consents.queries import FILTERS, list_consents, sender_consent, status_counts
from consents.receipts import consent_proof, proof_file
from consents.rules import Recipient, RuleError, check_name, normalise_email, parse_recipient_list
from jobs.dispatch import dispatch

bp = Blueprint("sender", __name__)


@bp.route("/")
def index():
    """Send visitors to their manager, or to the login page."""
    return redirect(url_for("sender.manager" if current_user.is_authenticated else "auth.login"))


def _manager_args() -> dict:
    """Parse the manager's filter, search and page from the query string."""
    status = request.args.get("statut", "")
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    link = None
    if request.args.get("lien", "").isdigit():
        link = ShareLink.query.filter_by(id=int(request.args["lien"]), sender_id=current_user.sender_id).first()
    return {"status": status if status in FILTERS else "", "q": request.args.get("q", "")[:100].strip(), "page": page,
            "link": link}


@bp.route("/gestionnaire")
@login_required
def manager():
    """List the sender's consents with counts, filter, search and pagination."""
    args = _manager_args()
    counts = status_counts(current_user.sender_id)
    page = list_consents(current_user.sender_id, status=args["status"] or None, q=args["q"], page=args["page"],
                         counts=counts, link_id=args["link"].id if args["link"] else None)
    return render_page("sender/manager.html", page=page, counts=counts, args=args)


def _ask(form, recipients, errors=()):
    """Run an ask and render its outcome; a rule violation goes back to the form."""
    try:
        outcome = request_consents(current_user.sender, current_user, recipients, form.delay.data,
                                   lre=form.lre, avis=form.avis, reminders=form.reminders.data)
    except RuleError as exc:
        form.delay.errors = [*form.delay.errors, str(exc.message)]
        return None
    dispatch(outcome)
    return render_template("sender/ask_result.html", outcome=outcome, errors=errors,
                           progress=batch_progress(outcome.batch_id))


@bp.route("/gestionnaire/demander", methods=["GET", "POST"])
@login_required
def ask_one():
    """Ask one recipient for consent."""
    form = AskOneForm()
    if form.validate_on_submit():
        recipient = Recipient(normalise_email(form.email.data), check_name(form.name.data), form.kind.data)
        result = _ask(form, [recipient])
        if result is not None:
            return result
    return render_template("sender/ask_one.html", form=form), 200 if not form.errors else 422


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
                return render_template("sender/ask_many.html", form=form, line_errors=errors), 422
            result = _ask(form, recipients, errors)
            if result is not None:
                return result
    return render_template("sender/ask_many.html", form=form, line_errors=()), 200 if not form.errors else 422


def _own_consent(consent_id: int):
    """Return the current sender's consent or answer 404, never revealing another sender's."""
    consent = sender_consent(current_user.sender_id, consent_id)
    if consent is None:
        abort(404)
    return consent


@bp.route("/gestionnaire/contacts/<int:consent_id>")
@login_required
def contact(consent_id: int):
    """Show one contact's consent and its full history."""
    return _contact_page(_own_consent(consent_id))


def _contact_page(consent):
    """The contact's page (or its partial for htmx) with its history and proof."""
    return render_page("sender/contact.html", consent=consent, events=history(consent), proof=consent_proof(consent))


@bp.route("/gestionnaire/contacts/<int:consent_id>/preuve/<name>")
@login_required
def proof_download(consent_id: int, name: str):
    """Download one piece of the consent's proof; 404 when the consent was never accepted."""
    consent = _own_consent(consent_id)
    proof = consent_proof(consent)
    piece = proof_file(proof, name) if proof is not None else None
    if piece is None:
        abort(404)
    content, mimetype = piece
    stem, _dot, ext = name.partition(".")
    filename = f"{stem}-{proof.uuid}.{ext}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/gestionnaire/contacts/<int:consent_id>/relancer", methods=["POST"])
@login_required
def remind_contact(consent_id: int):
    """Send a reminder for a pending request."""
    consent = _own_consent(consent_id)
    try:
        dispatch(remind(consent, current_user))
    except RuleError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Relance envoyée à %(email)s.", email=consent.contact.email), "success")
    if wants_partial():
        return _contact_page(consent)
    return redirect(url_for("sender.contact", consent_id=consent.id))


@bp.route("/gestionnaire/envois/<int:batch_id>")
@login_required
def batch_status(batch_id: int):
    """The progress of one ask's emails; polls itself until every email is sent or failed."""
    batch = AskBatch.query.filter_by(id=batch_id, sender_id=current_user.sender_id).first_or_404()
    return render_page("sender/batch_progress.html", batch_id=batch.id, progress=batch_progress(batch.id))
