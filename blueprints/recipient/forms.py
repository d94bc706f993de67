"""Forms of the recipient blueprint."""
from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints import KIND_CHOICES, rule
from consents.postal import Address, check_address, check_postcode, check_town
from consents.rules import normalise_email


class LandingForm(FlaskForm):
    """A visitor of a share link gives the address at which they accept registered letters."""

    email = EmailField(_l("Votre adresse email"), validators=[
        DataRequired(_l("Indiquez votre adresse email.")), rule(normalise_email)])
    name = StringField(_l("Votre nom"), validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=200)])
    kind = SelectField(_l("Vous êtes"), choices=KIND_CHOICES, default="particulier")


class PaperForm(FlaskForm):
    """The postal address at which a recipient who chooses paper wants their registered letters."""

    line1 = StringField(_l("Numéro et voie"), validators=[
        DataRequired(_l("Indiquez le numéro et la voie.")), Length(max=200)])
    line2 = StringField(_l("Complément d'adresse (bâtiment, étage…, facultatif)"), validators=[Length(max=200)])
    postcode = StringField(_l("Code postal"), validators=[DataRequired(_l("Indiquez le code postal.")),
                                                          rule(check_postcode)])
    town = StringField(_l("Commune"), validators=[DataRequired(_l("Indiquez la commune.")), rule(check_town)])

    @property
    def address(self) -> Address:
        """The checked address (call once the form validated)."""
        return check_address(self.line1.data, self.line2.data, self.postcode.data, self.town.data)


def answer_choice() -> bool:
    """True for «accepter», False for «refuser»; any other answer is a bad request."""
    choice = request.form.get("reponse")
    if choice not in ("accepter", "refuser"):
        abort(400)
    return choice == "accepter"
