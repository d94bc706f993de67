"""Forms of the auth blueprint."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from blueprints import rule
from consents.accounts import check_password
from consents.rules import check_siren, normalise_email


class SignUpForm(FlaskForm):
    """Create a sender organisation and its owner."""

    legal_name = StringField(_l("Raison sociale (nom affiché à vos destinataires)"),
                             validators=[DataRequired(_l("Indiquez votre raison sociale.")), Length(max=200)])
    siren = StringField(_l("SIREN (facultatif, 9 chiffres)"), validators=[rule(check_siren)])
    email = EmailField(_l("Adresse email"), validators=[DataRequired(_l("Indiquez votre adresse email.")),
                                                        rule(normalise_email)])
    password = PasswordField(_l("Mot de passe (au moins 12 caractères)"), validators=[
        DataRequired(_l("Choisissez un mot de passe.")), rule(check_password)])


class LoginForm(FlaskForm):
    """Log in with email and password."""

    email = EmailField(_l("Adresse email"), validators=[DataRequired(_l("Indiquez votre adresse email."))])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(_l("Indiquez votre mot de passe."))])


class ChangePasswordForm(FlaskForm):
    """Change one's password: the current one, then the new one."""

    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))])
    new = PasswordField(_l("Nouveau mot de passe (au moins 12 caractères)"), validators=[
        DataRequired(_l("Choisissez un nouveau mot de passe.")), rule(check_password)])


class ForgotPasswordForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField(_l("Adresse email du compte"), validators=[DataRequired(_l("Indiquez votre adresse email."))])


class ResetPasswordForm(FlaskForm):
    """Choose a new password through a reset link."""

    new = PasswordField(_l("Nouveau mot de passe (au moins 12 caractères)"), validators=[
        DataRequired(_l("Choisissez un nouveau mot de passe.")), rule(check_password)])
