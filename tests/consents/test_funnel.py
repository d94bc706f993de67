"""The manager's funnel: per channel and per day of the request, what was sent, opened, confirmed and accepted."""
from datetime import date, timedelta

from conftest import make_sender
from consents.funnel import EMAIL, LINK, funnels
from consents.lifecycle import answer_request, open_request, request_consents
from consents.link_models import LinkConfirmation
from consents.models import ConsentRequest
from consents.rules import Recipient
from consents.sharelinks import answer_confirmation, count_visit, create_link, submit_landing
from consents.texts import consent_text
from jobs.dispatch import dispatch


def _ask(user, *emails):
    """Ask some recipients by email, the way the ask form does; return their requests."""
    dispatch(request_consents(user.sender, user, [Recipient(e, "", "particulier") for e in emails], 10,
                              lre=True, avis=False))
    return ConsentRequest.query.order_by(ConsentRequest.id).all()[-len(emails):]


def _answer(request, accept=True):
    """The recipient answers through their link."""
    answer_request(request, accept=accept, text=consent_text("Cabinet Martin Gestion", "x@example.fr", True, False),
                   ip="203.0.113.9", user_agent="test")


def _by_channel(sender_id):
    """The sender's funnels by channel."""
    return {funnel.channel: funnel for funnel in funnels(sender_id)}


def test_email_funnel_counts_each_day_s_requests_sent_opened_accepted(sender_user, run_jobs, frozen_now):
    today = frozen_now.now.date()
    frozen_now.advance(days=-40)
    _ask(sender_user, "ancien@example.fr")  # older than 30 days: not counted
    frozen_now.advance(days=38)
    first, second, _third = _ask(sender_user, "a@example.fr", "b@example.fr", "c@example.fr")
    run_jobs()
    open_request(first, ip=None, user_agent=None)
    open_request(second, ip=None, user_agent=None)
    _answer(first)
    _answer(second, accept=False)
    frozen_now.advance(days=2)
    _ask(sender_user, "d@example.fr")  # today, its email not sent yet
    email = _by_channel(sender_user.sender_id)[EMAIL]
    assert len(email.series) == 30 and email.series[-1][0] == today and email.series[0][0] == today - timedelta(29)
    days = {day: values for day, *values in email.series}
    assert days[today - timedelta(days=2)] == [3, 2, 1]
    assert days[today] == [0, 0, 0]  # asked, but nothing has left yet
    assert email.totals == (3, 2, 1)
    other = make_sender("Autre Syndic", "contact@autre-syndic.fr")
    assert _by_channel(other.sender_id)[EMAIL].totals == (0, 0, 0)


def test_link_funnel_counts_visits_confirmations_and_acceptances(sender_user, frozen_now):
    link = create_link(sender_user, "Newsletter mars", lre=True, avis=False)
    yesterday = frozen_now.now.date() - timedelta(days=1)
    frozen_now.advance(days=-1)
    for _ in range(4):
        count_visit(link)
    for address in ("paul@example.fr", "lea@example.fr"):
        submit_landing(link, email=address, name="", kind="particulier", ip=None, user_agent=None)
    frozen_now.advance(days=1)
    count_visit(link)
    confirmation = LinkConfirmation.query.filter_by(email="paul@example.fr").one()
    answer_confirmation(confirmation, accept=True, ip=None, user_agent=None,
                        text=consent_text("Cabinet Martin Gestion", "paul@example.fr", True, False))
    funnel = _by_channel(sender_user.sender_id)[LINK]
    days = {day: values for day, *values in funnel.series}
    # The acceptance counts on the day its visitor asked, so each day's steps follow the same people.
    assert days[yesterday] == [4, 2, 1] and days[yesterday + timedelta(days=1)] == [1, 0, 0]
    assert funnel.totals == (5, 2, 1)
    assert _by_channel(sender_user.sender_id)[EMAIL].totals == (0, 0, 0)
    assert all(isinstance(day, date) for day, *_values in funnel.series)
