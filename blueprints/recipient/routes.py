"""Views of the recipient blueprint: the answer page of an email request, and the withdrawal request."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale

from blueprints import client_ip, user_agent
from blueprints.recipient.forms import PaperForm, answer_choice
from blueprints.recipient.pages import render_answer, request_page
from consents.lifecycle import RequestExpired, answer_request, consent_sender, find_request, open_request
from consents.postal import ask_paper, choose_paper, paper_asked_since
from consents.receipts import is_paper_choice, proof_by_withdrawal_token
from consents.withdrawals import request_withdrawal, withdrawal_requested
from extensions import limiter
from jobs.dispatch import dispatch

bp = Blueprint("recipient", __name__)


@bp.route("/c/<token>", methods=["GET"])
@limiter.limit("60 per minute")
def answer(token: str):
    """Show a consent request to its recipient and record that it was opened."""
    req = find_request(token)
    if req is None:
        abort(404)
    open_request(req, ip=client_ip(), user_agent=user_agent())
    return render_answer(request_page(req))


@bp.route("/c/<token>", methods=["POST"])
@limiter.limit("20 per minute")
def submit_answer(token: str):
    """Record the recipient's answer: accept or refuse, once."""
    req = find_request(token)
    if req is None:
        abort(404)
    page = request_page(req)
    paper_form = PaperForm() if request.form.get("reponse") == "papier" and req.paper_offered else None
    if paper_form is not None and not paper_form.validate():
        return render_answer(page, status=422, paper_form=paper_form)
    try:
        if paper_form is not None:
            outcome = choose_paper(req, paper_form.address, text=page.text, ip=client_ip(), user_agent=user_agent())
        else:
            outcome = answer_request(req, accept=answer_choice(), text=page.text, ip=client_ip(),
                                     user_agent=user_agent())
        dispatch(outcome)
    except RequestExpired:
        return render_answer(page, status=410)
    # Back to the page by a GET: a reload then shows the recorded answer instead of sending the form again.
    return redirect(url_for("recipient.answer", token=token), 303)


@bp.route("/retrait/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def withdraw(token: str):
    """Let a recipient ask the sender to withdraw their consent, from the link in their receipt email."""
    proof = _consent_receipt(token)
    done = withdrawal_requested(proof)
    if request.method == "POST" and not done:
        dispatch(request_withdrawal(proof, message=request.form.get("message", "").strip(), ip=client_ip(),
                                    user_agent=user_agent()))
        done = True
    return _withdraw_page(proof, done=done, paper_form=PaperForm(formdata=None))


@bp.route("/retrait/<token>/papier", methods=["POST"])
@limiter.limit("20 per minute")
def withdraw_to_paper(token: str):
    """Let a recipient ask, from the link in their receipt email, for paper letters at a postal address."""
    proof = _consent_receipt(token)
    form = PaperForm()
    if paper_asked_since(proof) is None:
        if not form.validate():
            return _withdraw_page(proof, done=withdrawal_requested(proof), paper_form=form, status=422)
        dispatch(ask_paper(proof, form.address, language=str(get_locale()), ip=client_ip(), user_agent=user_agent()))
    return redirect(url_for("recipient.withdraw", token=token), 303)


def _consent_receipt(token: str):
    """The consent receipt a withdrawal link opens, or 404 (a paper choice's receipt has no such link)."""
    proof = proof_by_withdrawal_token(token)
    if proof is None or is_paper_choice(proof):
        abort(404)
    return proof


def _withdraw_page(proof, *, done: bool, paper_form: PaperForm, status: int = 200):
    """The withdrawal page: ask to withdraw, or ask for paper at a postal address."""
    return render_template("recipient/withdraw.html", proof=proof, sender=consent_sender(proof.consent), done=done,
                           paper=paper_asked_since(proof), paper_form=paper_form), status
