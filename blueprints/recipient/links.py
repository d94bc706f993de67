"""Share-link pages: the public landing form and the owner's confirmation answer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, render_template, request
from flask_babel import get_locale

from blueprints import client_ip
from blueprints.recipient import bp
from blueprints.recipient.forms import LandingForm
from blueprints.recipient.routes import dispatch_proof_of, parse_choice
from consents import clock
from consents.rules import RuleError, normalise_email
from blueprints import pagecache
from consents.sharelinks import ConfirmationExpired, answer_confirmation, find_confirmation, find_link, submit_landing
from consents.texts import consent_text
from consents.visits import count_visit, counter_key, today
from extensions import limiter
from jobs.queue import dispatch_emails


LANDING_LIFE = timedelta(hours=1)


def _email_key() -> str:
    """Rate-limit key: the address typed in the landing form, so one mailbox cannot be flooded."""
    try:
        return "landing-email:" + normalise_email(request.form.get("email", ""))
    except RuleError:
        return "landing-email:invalid"


@bp.route("/l/<slug>", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key)
@limiter.limit("120 per minute", methods=["GET"])
def share_landing(slug: str):
    """The page behind a share link: who asks, what it means, and the form that starts the double opt-in."""
    if request.method == "GET":
        kept = pagecache.fetch("l", slug, count=(counter_key(slug), today()))
        if kept is not None:
            return kept
    link = find_link(slug)
    if link is None:
        abort(404)
    if not link.active:
        return render_template("recipient/link_off.html", link=link), 410
    form = LandingForm()
    if request.method == "GET":
        count_visit(link)
        # Switching the link off forgets the page; the hour bounds what a Redis outage at that moment could leave.
        return pagecache.render_and_keep("l", slug, "recipient/landing.html", until=clock.now() + LANDING_LIFE,
                                         link=link, form=form)
    if form.validate_on_submit():
        email_id = submit_landing(link, email=form.email.data, name=form.name.data, kind=form.kind.data,
                                  ip=client_ip(), user_agent=request.user_agent.string)
        dispatch_emails([email_id])
        return render_template("recipient/landing_sent.html", link=link)
    return render_template("recipient/landing.html", link=link, form=form), 200 if not form.errors else 422


@dataclass
class _Ask:
    """What the answer page needs of a request that exists only once the owner answers."""

    scope_lre: bool
    scope_avis: bool
    deadline: datetime
    answer: str | None = None
    answered_at: datetime | None = None


@dataclass
class _Contact:
    email: str


@dataclass
class _Consent:
    contact: _Contact


def _confirmation_page(confirmation, status: int = 200, expired: bool = False):
    """Render the same answer page as an email request, for a confirmation or its recorded answer."""
    link = confirmation.link
    if confirmation.request is not None:
        req, consent = confirmation.request, confirmation.request.consent
    else:
        req = _Ask(link.scope_lre, link.scope_avis, confirmation.expires_at)
        consent = _Consent(_Contact(confirmation.email))
        expired = expired or confirmation.expires_at <= clock.now()
    text = consent_text(link.sender.legal_name, confirmation.email, link.scope_lre, link.scope_avis, str(get_locale()))
    return render_template("recipient/answer.html", req=req, consent=consent, sender=link.sender, text=text,
                           expired=expired), status


@bp.route("/l/c/<token>", methods=["GET"])
@limiter.limit("60 per minute")
def confirm_link(token: str):
    """Show the address owner what they are asked to accept through a share link."""
    confirmation = find_confirmation(token)
    if confirmation is None:
        abort(404)
    return _confirmation_page(confirmation)


@bp.route("/l/c/<token>", methods=["POST"])
@limiter.limit("20 per minute")
def submit_confirmation(token: str):
    """Record the address owner's answer; only this creates the consent."""
    confirmation = find_confirmation(token)
    if confirmation is None:
        abort(404)
    accept = parse_choice()
    first_answer = confirmation.request_id is None
    link = confirmation.link
    text = consent_text(link.sender.legal_name, confirmation.email, link.scope_lre, link.scope_avis, str(get_locale()))
    try:
        req = answer_confirmation(confirmation, accept=accept, text=text, ip=client_ip(),
                                  user_agent=request.user_agent.string)
    except ConfirmationExpired:
        return _confirmation_page(confirmation, status=410, expired=True)
    if first_answer:
        dispatch_proof_of(req)
    return _confirmation_page(confirmation)
