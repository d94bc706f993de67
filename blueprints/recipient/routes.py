"""Views of the recipient blueprint."""
from flask import abort, render_template, request
from flask_babel import get_locale

from blueprints import client_ip
from blueprints.recipient import bp
from blueprints import pagecache
from consents import clock
from consents.lifecycle import (
    RequestExpired, answer_request, consent_sender, find_request, hash_token, open_request, request_token_hashes,
)
from consents.models import ACCEPTED
from consents.proofs import proof_by_withdrawal_token, proof_for_request, request_withdrawal, withdrawal_requested
from consents.texts import consent_text
from extensions import limiter
from jobs.proofs import dispatch_proof
from jobs.queue import dispatch_emails


def _page_context(req, expired: bool = False) -> dict:
    """What the answer page shows of a request, in the visitor's language."""
    consent = req.consent
    sender = consent_sender(consent)
    text = consent_text(sender.legal_name, consent.contact.email, req.scope_lre, req.scope_avis, str(get_locale()))
    return {"req": req, "consent": consent, "sender": sender, "text": text,
            "expired": expired or (req.answered_at is None and not req.is_open)}


def _page(req, status: int = 200, expired: bool = False):
    """Render the answer page for a request."""
    return render_template("recipient/answer.html", **_page_context(req, expired)), status


@bp.route("/c/<token>", methods=["GET"])
@limiter.limit("60 per minute")
def answer(token: str):
    """Show a consent request to its recipient and record that it was opened."""
    token_hash = hash_token(token)
    kept = pagecache.fetch("c", token_hash)
    if kept is not None:
        return kept
    req = find_request(token)
    if req is None:
        abort(404)
    open_request(req, ip=client_ip(), user_agent=request.user_agent.string)
    context = _page_context(req)
    # An answered or expired request's page never changes again; an open one changes at its answer (which
    # forgets it) or at its deadline.
    final = req.answered_at is not None or context["expired"]
    until = clock.now() + pagecache.LONGEST if final else req.deadline
    return pagecache.render_and_keep("c", token_hash, "recipient/answer.html", until=until, **context)


@bp.route("/c/<token>", methods=["POST"])
@limiter.limit("20 per minute")
def submit_answer(token: str):
    """Record the recipient's answer: accept or refuse, once."""
    req = find_request(token)
    if req is None:
        abort(404)
    accept = parse_choice()
    sender = consent_sender(req.consent)
    text = consent_text(sender.legal_name, req.consent.contact.email, req.scope_lre, req.scope_avis, str(get_locale()))
    try:
        answered = answer_request(req, accept=accept, text=text, ip=client_ip(), user_agent=request.user_agent.string)
    except RequestExpired:
        return _page(req, status=410, expired=True)
    if answered:
        pagecache.forget("c", *request_token_hashes(req))
        dispatch_proof_of(req)
    return _page(req)


def parse_choice() -> bool:
    """True for «accepter», False for «refuser»; any other answer is a bad request."""
    choice = request.form.get("reponse")
    if choice not in ("accepter", "refuser"):
        abort(400)
    return choice == "accepter"


def dispatch_proof_of(req) -> None:
    """Once an acceptance is committed, enqueue its proof's timestamp and the recipient's receipt email."""
    proof = proof_for_request(req) if req.answer == ACCEPTED else None
    if proof is not None:
        dispatch_proof(proof)


@bp.route("/retrait/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def withdraw(token: str):
    """Let a recipient ask the sender to withdraw their consent, from the link in their receipt email."""
    proof = proof_by_withdrawal_token(token)
    if proof is None:
        abort(404)
    sender = consent_sender(proof.consent)
    done = withdrawal_requested(proof)
    if request.method == "POST" and not done:
        email_ids = request_withdrawal(proof, message=request.form.get("message", "").strip(), ip=client_ip(),
                                       user_agent=request.user_agent.string)
        dispatch_emails(email_ids)
        done = True
    return render_template("recipient/withdraw.html", proof=proof, sender=sender, done=done)
