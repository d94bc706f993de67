"""Share-link pages: the public landing form and the address owner's confirmation answer."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from blueprints import client_ip, user_agent
from blueprints.recipient.forms import LandingForm, answer_choice
from blueprints.recipient.pages import confirmation_page, render_answer
from blueprints.recipient.routes import bp
from consents.rules import RuleError, normalise_email
from consents.sharelinks import (
    ConfirmationExpired, answer_confirmation, count_visit, find_confirmation, find_link, submit_landing,
)
from extensions import limiter
from jobs.dispatch import dispatch


def _email_key() -> str:
    """Rate-limit key: this link and the address typed, so one mailbox cannot be flooded through it.

    Keyed by link too, so nobody can lock an address out of every sender's links; an invalid address is keyed
    by what was typed, so one visitor's typos do not lock out the others'.
    """
    typed = request.form.get("email", "")
    try:
        address = normalise_email(typed)
    except RuleError:
        address = "invalid:" + " ".join(typed.split()).lower()[:100]
    return f"landing-email:{request.view_args.get('slug', '')}:{address}"


@bp.route("/l/<slug>", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key)
@limiter.limit("120 per minute", methods=["GET"])
def share_landing(slug: str):
    """The page behind a share link: who asks, what it means, and the form that starts the double opt-in."""
    link = find_link(slug)
    if link is None:
        abort(404)
    if not link.active:
        return render_template("recipient/link_off.html", link=link), 410
    form = LandingForm()
    if request.method == "GET":
        count_visit(link)
    elif form.validate_on_submit():
        dispatch(submit_landing(link, email=form.email.data, name=form.name.data, kind=form.kind.data,
                                ip=client_ip(), user_agent=user_agent()))
        return render_template("recipient/landing_sent.html", link=link)
    return render_template("recipient/landing.html", link=link, form=form), 200 if not form.errors else 422


@bp.route("/l/c/<token>", methods=["GET"])
@limiter.limit("60 per minute")
def confirm_link(token: str):
    """Show the address owner what they are asked to accept through a share link."""
    confirmation = find_confirmation(token)
    if confirmation is None:
        abort(404)
    return render_answer(confirmation_page(confirmation))


@bp.route("/l/c/<token>", methods=["POST"])
@limiter.limit("20 per minute")
def submit_confirmation(token: str):
    """Record the address owner's answer; only this creates the consent."""
    confirmation = find_confirmation(token)
    if confirmation is None:
        abort(404)
    accept = answer_choice()
    page = confirmation_page(confirmation)
    try:
        dispatch(answer_confirmation(confirmation, accept=accept, text=page.text, ip=client_ip(),
                                     user_agent=user_agent()))
    except ConfirmationExpired:
        return render_answer(page, status=410)
    return redirect(url_for("recipient.confirm_link", token=token), 303)  # a reload shows the answer, resends nothing
