"""Forms of the support console."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from consents.staff_models import ROLES

SOURCE_CHOICES = [("email", _l("Email")), ("courrier", _l("Courrier")), ("telephone", _l("Téléphone")),
                  ("autre", _l("Autre"))]
FIELD_CHOICES = [("email", _l("Adresse email (complète ou début)")), ("name", _l("Nom du destinataire")),
                 ("sender", _l("Expéditeur (raison sociale ou SIREN)"))]


class StaffLoginForm(FlaskForm):
    """Sign in: email, password and the authenticator's code (or a recovery code)."""

    email = EmailField(_l("Adresse email"), validators=[DataRequired(_l("Indiquez votre adresse email."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])
    code = StringField(_l("Code à 6 chiffres de l'application (ou code de secours)"),
                       validators=[DataRequired(_l("Indiquez le code de votre application d'authentification."))])


class SetupForm(FlaskForm):
    """First sign-in: choose a password and prove the authenticator app shows the right codes."""

    password = PasswordField(_l("Mot de passe (au moins 12 caractères)"),
                             validators=[DataRequired(_l("Choisissez un mot de passe."))])
    code = StringField(_l("Code à 6 chiffres affiché par l'application"),
                       validators=[DataRequired(_l("Indiquez le code affiché par l'application."))])


class SupportRevokeForm(FlaskForm):
    """Revoke one or several consents of a recipient at their request."""

    requested_on = DateField(_l("Date de la demande du destinataire"),
                             validators=[InputRequired(_l("Indiquez la date de la demande."))])
    source = SelectField(_l("Demande reçue par"), choices=SOURCE_CHOICES, default="email")
    reference = StringField(_l("Référence de la demande (ticket ou email)"),
                            validators=[DataRequired(_l("Indiquez la référence de la demande.")), Length(max=200)])
    reason = TextAreaField(_l("Motif"), validators=[DataRequired(_l("Indiquez le motif de la révocation.")),
                                                    Length(max=1000)])
    confirm = HiddenField(default="")


class ClearBounceForm(FlaskForm):
    """Lift «adresse invalide»: how the recipient confirmed the address."""

    reason = StringField(_l("Comment le destinataire a confirmé son adresse"),
                         validators=[DataRequired(_l("Indiquez comment l'adresse a été confirmée.")), Length(max=1000)])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""


class StaffCreateForm(FlaskForm):
    """An admin adds a staff member."""

    email = EmailField(_l("Adresse email"), validators=[DataRequired(_l("Indiquez une adresse email."))])
    role = SelectField(_l("Rôle"), choices=[(ROLES[0], _l("Support")), (ROLES[1], _l("Administrateur"))])
