"""What the recipient's answer page shows, for an email request or a share-link confirmation alike."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import get_locale

from blueprints.recipient.forms import PaperForm
from consents import clock
from consents.l100 import LRE, consent_needed, why_asked
from consents.models import ConsentRequest, Sender
from consents.link_models import LinkConfirmation
from consents.texts import ConsentText, consent_text


@dataclass(frozen=True)
class AnswerPage:
    """The facts of one ask as its recipient sees them, and the exact text they accept or refuse."""

    sender: Sender
    email: str
    scope_lre: bool
    scope_avis: bool
    deadline: datetime
    answer: str | None
    answered_at: datetime | None
    text: ConsentText
    kind: str
    paper_offered: bool = False  # LRO: the recipient chooses between electronic (consent) and paper

    @property
    def expired(self) -> bool:
        """True when the deadline passed without an answer."""
        return self.answer is None and self.deadline <= clock.now()

    @property
    def why(self) -> list:
        """Why this recipient is asked, never claiming the law requires what it does not."""
        return why_asked(self.kind, self.scope_lre, self.scope_avis)

    @property
    def paper_without_consent(self) -> bool:
        """True when a refusal keeps this recipient on paper (not so for an LRE to a professional)."""
        return not self.scope_lre or consent_needed(self.kind, LRE)


def _page(sender: Sender, email: str, lre: bool, avis: bool, deadline: datetime, answer: str | None,
          answered_at: datetime | None, kind: str, paper_offered: bool = False) -> AnswerPage:
    """The page in the visitor's language."""
    text = consent_text(sender.legal_name, email, lre, avis, str(get_locale()))
    return AnswerPage(sender, email, lre, avis, deadline, answer, answered_at, text, kind, paper_offered)


def request_page(req: ConsentRequest) -> AnswerPage:
    """The answer page of an email request (or of a confirmation already answered)."""
    return _page(req.sender, req.consent.contact.email, req.scope_lre, req.scope_avis, req.deadline, req.answer,
                 req.answered_at, req.consent.contact.kind, req.paper_offered)


def confirmation_page(confirmation: LinkConfirmation) -> AnswerPage:
    """The answer page of a share-link confirmation: its request exists only once the owner answered."""
    if confirmation.request is not None:
        return request_page(confirmation.request)
    link = confirmation.link
    return _page(link.sender, confirmation.email, link.scope_lre, link.scope_avis, confirmation.expires_at, None, None,
                 confirmation.kind)


def render_answer(page: AnswerPage, status: int = 200, paper_form=None):
    """Render the answer page; an LRO request's page carries the paper choice's address form."""
    if paper_form is None and page.paper_offered:
        paper_form = PaperForm(formdata=None)
    return render_template("recipient/answer.html", page=page, paper_form=paper_form), status
