"""Forms of the recipient blueprint."""
from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints import KIND_CHOICES, rule
from consents.rules import normalise_email


class LandingForm(FlaskForm):
    """A visitor of a share link gives the address at which they accept registered letters."""

    email = EmailField(_l("Votre adresse email"), validators=[
        DataRequired(_l("Indiquez votre adresse email.")), rule(normalise_email)])
    name = StringField(_l("Votre nom"), validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=200)])
    kind = SelectField(_l("Vous êtes"), choices=KIND_CHOICES, default="particulier")


def answer_choice() -> bool:
    """True for «accepter», False for «refuser»; any other answer is a bad request."""
    choice = request.form.get("reponse")
    if choice not in ("accepter", "refuser"):
        abort(400)
    return choice == "accepter"
