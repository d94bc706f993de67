"""Forms of the sender blueprint."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints import KIND_CHOICES, rule
from consents.rules import MAX_DELAY_DAYS, MIN_DELAY_DAYS, check_delay, normalise_email

SCOPE_CHOICES = [
    ("lre", _l("Lettres recommandées électroniques (LRE)")),
    ("avis", _l("Avis électroniques")),
    ("both", _l("Les deux")),
]


class _AskBase(FlaskForm):
    """What every ask has: the scope and the response delay."""

    scope = RadioField(_l("Ce que vous demandez"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce que vous demandez."))])
    delay = IntegerField(
        _l("Délai de réponse en jours (de %(min)d à %(max)d)", min=MIN_DELAY_DAYS, max=MAX_DELAY_DAYS),
        default=15,
        validators=[InputRequired(_l("Indiquez un délai de réponse en jours.")), rule(check_delay)],
    )

    reminders = BooleanField(_l("Relancer automatiquement quelques jours avant l'échéance"), default=True)

    @property
    def lre(self) -> bool:
        """True when LRE is asked."""
        return self.scope.data in ("lre", "both")

    @property
    def avis(self) -> bool:
        """True when avis électronique is asked."""
        return self.scope.data in ("avis", "both")


class AskOneForm(_AskBase):
    """Ask one recipient."""

    email = EmailField(_l("Adresse email du destinataire"),
                       validators=[DataRequired(_l("Indiquez l'adresse email du destinataire.")), rule(normalise_email)])
    name = StringField(_l("Nom du destinataire"), validators=[Length(max=200)])
    kind = SelectField(_l("Type de destinataire"), choices=KIND_CHOICES, default="particulier")


class AskManyForm(_AskBase):
    """Ask many recipients from a pasted list."""

    recipients = TextAreaField(_l("Destinataires, un par ligne : email;nom;type"),
                               validators=[DataRequired(_l("Collez au moins une ligne."))])


class LinkForm(FlaskForm):
    """Create a share link."""

    label = StringField(_l("Nom du lien (pour vous : « Newsletter mars », « Site web »…)"),
                        validators=[DataRequired(_l("Donnez un nom au lien.")), Length(max=100)])
    scope = RadioField(_l("Ce que vous demandez"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce que vous demandez."))])
