"""Forms of the sender blueprint."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, EmailField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField,
    StringField, TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints import KIND_CHOICES, rule
from consents.rules import MAX_DELAY_DAYS, MIN_DELAY_DAYS, check_delay, normalise_email

SCOPE_CHOICES = [
    ("lre", _l("Lettres recommandées électroniques (LRE)")),
    ("avis", _l("Avis électroniques")),
    ("both", _l("Les deux")),
]


class _Scoped:
    """A form with a `scope` radio: LRE, avis électronique or both."""

    @property
    def lre(self) -> bool:
        """True when LRE is chosen."""
        return self.scope.data in ("lre", "both")

    @property
    def avis(self) -> bool:
        """True when avis électronique is chosen."""
        return self.scope.data in ("avis", "both")


class _AskBase(_Scoped, FlaskForm):
    """What every ask has: consent or the paper-or-electronic choice, the scope and the response delay."""

    # Left out of a post (an older form, a script), it stays «Demander le consentement».
    mode = SelectField(_l("Ce que vous proposez"), default="consentement", choices=[
        ("consentement", _l("Demander le consentement")),
        ("lro", _l("Proposer le choix papier / électronique")),
    ])
    scope = RadioField(_l("Ce que vous demandez"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce que vous demandez."))])
    delay = IntegerField(
        _l("Délai de réponse en jours (de %(min)d à %(max)d)", min=MIN_DELAY_DAYS, max=MAX_DELAY_DAYS),
        default=15,
        validators=[InputRequired(_l("Indiquez un délai de réponse en jours.")), rule(check_delay)],
    )

    reminders = BooleanField(_l("Relancer automatiquement quelques jours avant l'échéance"), default=True)
    # "ask" or "skip" once the sender saw that professionals need not consent to LRE (the warning's buttons set it)
    professionals = HiddenField()


REVOCATION_SOURCE_CHOICES = [
    ("email", _l("Email")), ("courrier", _l("Courrier")), ("telephone", _l("Téléphone")),
    ("demande_en_ligne", _l("Demande en ligne (lien du reçu)")), ("autre", _l("Autre")),
]
MANUAL_SOURCE_CHOICES = [
    ("contrat", _l("Contrat de bail ou mandat")), ("assemblee_generale", _l("Assemblée générale")),
    ("courrier_signe", _l("Courrier signé")), ("autre", _l("Autre")),
]


class AskOneForm(_AskBase):
    """Ask one recipient."""

    email = EmailField(_l("Adresse email du destinataire"),
                       validators=[DataRequired(_l("Indiquez l'adresse email du destinataire.")), rule(normalise_email)])
    name = StringField(_l("Nom du destinataire"), validators=[Length(max=200)])
    kind = SelectField(_l("Type de destinataire"), choices=KIND_CHOICES, default="particulier")
    again = HiddenField()  # "1" once the sender confirmed asking again after a refusal or a revocation


class AskManyForm(_AskBase):
    """Ask many recipients from a pasted list."""

    recipients = TextAreaField(_l("Destinataires, un par ligne : email;nom;type"),
                               validators=[DataRequired(_l("Collez au moins une ligne."))])
    again = HiddenField()


class RevokeForm(FlaskForm):
    """Record a recipient's withdrawal: when they asked, how, and a note; confirmed in a second step."""

    requested_on = DateField(_l("Date de la demande du destinataire"),
                             validators=[InputRequired(_l("Indiquez la date de la demande."))])
    source = SelectField(_l("Comment la demande est arrivée"), choices=REVOCATION_SOURCE_CHOICES, default="email")
    note = TextAreaField(_l("Note (facultative)"), validators=[Length(max=1000)])
    confirm = HiddenField()


class EditContactForm(FlaskForm):
    """Correct a contact's name and kind."""

    name = StringField(_l("Nom"), validators=[Length(max=200)])
    kind = SelectField(_l("Type de destinataire"), choices=KIND_CHOICES)


class ManualAddForm(_Scoped, FlaskForm):
    """Declare a consent obtained outside the platform."""

    email = EmailField(_l("Adresse email du destinataire"),
                       validators=[DataRequired(_l("Indiquez l'adresse email du destinataire.")), rule(normalise_email)])
    name = StringField(_l("Nom du destinataire"), validators=[Length(max=200)])
    kind = SelectField(_l("Type de destinataire"), choices=KIND_CHOICES, default="particulier")
    scope = RadioField(_l("Ce à quoi le destinataire a consenti"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce à quoi il a consenti."))])
    obtained_on = DateField(_l("Date à laquelle le consentement a été obtenu"),
                            validators=[InputRequired(_l("Indiquez la date d'obtention."))])
    source = SelectField(_l("Où il a été obtenu"), choices=MANUAL_SOURCE_CHOICES, default="contrat")
    reference = StringField(_l("Référence (n° de contrat ; pour une AG : date et n° de résolution)"),
                            validators=[Length(max=200)])
    evidence = FileField(_l("Justificatif (PDF, JPEG ou PNG, 10 Mio au plus, facultatif)"))
    confirm = BooleanField(_l("Je confirme : ce consentement a été obtenu après le refus ou le retrait enregistré"))


class LinkForm(_Scoped, FlaskForm):
    """Create a share link."""

    label = StringField(_l("Nom du lien (pour vous : « Newsletter mars », « Site web »…)"),
                        validators=[DataRequired(_l("Donnez un nom au lien.")), Length(max=100)])
    scope = RadioField(_l("Ce que vous demandez"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce que vous demandez."))])


class ImportForm(FlaskForm):
    """Upload a spreadsheet saved as CSV or text."""

    file = FileField(_l("Fichier CSV ou texte (20 Mio et 100 000 lignes au plus)"))
    separator = SelectField(_l("Séparateur"), default="", choices=[
        ("", _l("Détecter automatiquement")), (";", _l("Point-virgule ;")), (",", _l("Virgule ,")),
        ("tab", _l("Tabulation"))])

    def validate_file(self, field):
        """A file must be chosen."""
        if not field.data or not field.data.filename:
            raise ValidationError(_l("Choisissez un fichier."))


class ImportActionForm(_Scoped, FlaskForm):
    """What to do with the good rows: ask them, or record them as consents obtained offline."""

    action = RadioField(_l("Que faire des lignes valides ?"), choices=[
        ("ask", _l("Leur envoyer une demande de consentement")),
        ("record", _l("Les enregistrer comme consentements obtenus hors ligne (par exemple en assemblée générale)")),
    ], validators=[InputRequired(_l("Choisissez ce que l'import doit faire."))])
    scope = RadioField(_l("Portée"), choices=SCOPE_CHOICES, default="lre",
                       validators=[InputRequired(_l("Choisissez ce que vous demandez."))])
    delay = IntegerField(_l("Délai de réponse en jours (de %(min)d à %(max)d)", min=MIN_DELAY_DAYS, max=MAX_DELAY_DAYS),
                         default=15, validators=[Optional()])
    reminders = BooleanField(_l("Relancer automatiquement quelques jours avant l'échéance"), default=True)
    obtained_on = DateField(_l("Date à laquelle le consentement a été obtenu"), validators=[Optional()])
    source = SelectField(_l("Où il a été obtenu"), choices=MANUAL_SOURCE_CHOICES, default="assemblee_generale")
    reference = StringField(_l("Référence (n° de contrat ; pour une AG : date et n° de résolution)"),
                            validators=[Length(max=200)])
    evidence = FileField(_l("Justificatif commun (PDF, JPEG ou PNG, 10 Mio au plus, facultatif)"))


KEY_SCOPE_CHOICES = [
    ("read", _l("Lire les consentements et les reçus")), ("ask", _l("Demander et révoquer")),
    ("check", _l("Vérifier avant un envoi (L100)")),
]


class ApiKeyForm(FlaskForm):
    """Create an API key: a name and its rights."""

    name = StringField(_l("Nom de la clé (le logiciel qui l'utilise)"),
                       validators=[DataRequired(_l("Donnez un nom à la clé.")), Length(max=100)])
    scopes = SelectMultipleField(_l("Droits"), choices=KEY_SCOPE_CHOICES, default=["check"],
                                 validators=[DataRequired(_l("Choisissez au moins un droit pour la clé."))],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class EndpointForm(FlaskForm):
    """Register a webhook endpoint: its URL and the events it hears."""

    url = StringField(_l("Adresse de réception (https://…)"),
                      validators=[DataRequired(_l("Indiquez l'adresse de réception.")), Length(max=500)])
    events = SelectMultipleField(_l("Événements"), validators=[DataRequired(_l("Choisissez au moins un événement."))],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
