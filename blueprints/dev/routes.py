"""Views of the dev blueprint (registered only outside production and tests)."""
from flask import Blueprint, abort, render_template

from consents.db import db
from consents.models import OutboundEmail

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.route("/outbox")
def outbox():
    """List the latest emails written by the app, sent or not."""
    emails = OutboundEmail.query.order_by(OutboundEmail.id.desc()).limit(100).all()
    return render_template("dev/outbox.html", emails=emails)


@bp.route("/outbox/<id:email_id>")
def outbox_email(email_id: int):
    """Show one email: its headers, plain text and clickable links."""
    email = db.session.get(OutboundEmail, email_id) or abort(404)
    return render_template("dev/outbox_email.html", email=email)
