"""Views of the recipient blueprint: the answer page of an email request, and the withdrawal request."""
from flask import Blueprint, abort, redirect, render_template, request, url_for

from blueprints import client_ip, user_agent
from blueprints.recipient.forms import answer_choice
from blueprints.recipient.pages import render_answer, request_page
from consents.lifecycle import RequestExpired, answer_request, consent_sender, find_request, open_request
from consents.receipts import proof_by_withdrawal_token
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
    accept = answer_choice()
    page = request_page(req)
    try:
        dispatch(answer_request(req, accept=accept, text=page.text, ip=client_ip(), user_agent=user_agent()))
    except RequestExpired:
        return render_answer(page, status=410)
    # Back to the page by a GET: a reload then shows the recorded answer instead of sending the form again.
    return redirect(url_for("recipient.answer", token=token), 303)


@bp.route("/retrait/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def withdraw(token: str):
    """Let a recipient ask the sender to withdraw their consent, from the link in their receipt email."""
    proof = proof_by_withdrawal_token(token)
    if proof is None:
        abort(404)
    done = withdrawal_requested(proof)
    if request.method == "POST" and not done:
        dispatch(request_withdrawal(proof, message=request.form.get("message", "").strip(), ip=client_ip(),
                                    user_agent=user_agent()))
        done = True
    return render_template("recipient/withdraw.html", proof=proof, sender=consent_sender(proof.consent), done=done)
