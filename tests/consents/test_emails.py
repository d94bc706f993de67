"""Request emails: French, naming the sender, carrying the personal link in both bodies; a reminder says so."""
from consents.emails import queue_request_email
from consents.lifecycle import request_consents
from consents.models import ConsentRequest
from consents.rules import Recipient

LINK = "http://consent.test/c/personal-token-123"


def _request(user):
    """One pending request to Marie, asked by the user's sender."""
    request_consents(user.sender, user, [Recipient("marie@example.fr", "Marie Curie", "particulier")], 10,
                     lre=True, avis=True)
    return ConsentRequest.query.one()


def test_request_email_is_french_and_has_the_link_in_both_bodies(sender_user):
    request = _request(sender_user)
    email = queue_request_email(request, sender_user.sender, LINK)
    assert email.to == "marie@example.fr" and email.kind == "request" and email.request_id == request.id
    assert email.subject == "Cabinet Martin Gestion vous demande votre accord pour des recommandés électroniques"
    for body in (email.sent_text, email.sent_html):
        assert LINK in body and "Cabinet Martin Gestion" in body and "Marie Curie" in body
        assert "lettres recommandées électroniques (LRE) et avis électroniques" in body
        assert "article L100" in body


def test_a_reminder_has_its_own_subject_and_says_it_is_a_reminder(sender_user):
    request = _request(sender_user)
    first = queue_request_email(request, sender_user.sender, LINK)
    reminder = queue_request_email(request, sender_user.sender, LINK + "-again", reminder=True)
    assert reminder.kind == "reminder" and reminder.subject != first.subject
    assert reminder.subject.startswith("Rappel : Cabinet Martin Gestion attend votre réponse")
    assert "Pour rappel" in reminder.sent_text and "Pour rappel" not in first.sent_text
    assert LINK + "-again" in reminder.sent_text and LINK + "-again" in reminder.sent_html
