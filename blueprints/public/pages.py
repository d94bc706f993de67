"""Pages for visitors: the front page, the FAQ, the legal notice and the privacy policy."""
from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from blueprints.public.routes import bp
from consents.rules import MAX_DELAY_DAYS, MIN_DELAY_DAYS


@bp.route("/")
def home():
    """The front page for visitors; a signed-in sender goes on to their manager."""
    if current_user.is_authenticated:
        return redirect(url_for("sender.manager"))
    return render_template("public/home.html", min_delay=MIN_DELAY_DAYS, max_delay=MAX_DELAY_DAYS)


@bp.route("/faq")
def faq():
    """Questions senders and recipients ask: the law, the delay, the proof, withdrawal, copropriété, data."""
    return render_template("public/faq.html", min_delay=MIN_DELAY_DAYS, max_delay=MAX_DELAY_DAYS)


@bp.route("/mentions-legales")
def legal_notice():
    """Who publishes and hosts the service (from the configuration)."""
    return render_template("public/legal_notice.html", operator=current_app.config["OPERATOR"])


@bp.route("/confidentialite")
def privacy():
    """What personal data is kept, why, for how long, and how to exercise one's rights."""
    return render_template("public/privacy.html", operator=current_app.config["OPERATOR"])
