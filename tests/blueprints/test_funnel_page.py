"""The manager's funnel: loaded in its own request, numbers and rates per channel, a dated chart and its table."""
import re

from conftest import ask, latest_email, link_from

HX = {"HX-Request": "true"}


def _steps(html: str, title: str) -> list[str]:
    """The funnel's steps under one channel's heading, as text."""
    block = re.search(rf"<h3>{title}</h3>\s*<ol class=\"funnel-steps\">(.*?)</ol>", html, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_manager_loads_the_funnel_in_a_request_of_its_own(logged_in):
    page = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert 'hx-get="/gestionnaire/entonnoir" hx-trigger="load"' in page
    assert "funnel-steps" not in page  # the list never waits for the funnel
    assert '<a href="/gestionnaire/entonnoir">' in page  # without scripts, a link to it


def test_funnel_counts_and_rates_per_channel(logged_in, client, run_jobs):
    for email in ("marie@example.fr", "jean@example.fr", "luc@example.fr", "eve@example.fr"):
        ask(logged_in, email=email, name="")
    run_jobs()
    client.get(link_from(latest_email("request").sent_text))  # eve opens her email's link...
    client.post(link_from(latest_email("request").sent_text), data={"reponse": "accepter"})  # ...and accepts
    fragment = logged_in.get("/gestionnaire/entonnoir", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "D'où viennent vos consentements" in fragment
    assert _steps(fragment, "Par email") == [
        "4 demandes envoyées", "1 ouverte (25 % de l'étape précédente)", "1 acceptée (100 % de l'étape précédente)"]
    assert _steps(fragment, "Par vos liens de partage") == [
        "0 visite de vos liens", "0 email de confirmation envoyé", "0 acceptée"]
    assert "Rien sur ce canal ces 30 derniers jours." in fragment  # the link channel draws no empty chart
    # The chart's text alternative: one row per day, today first, with each step's number.
    table = re.search(r'<table class="daily-table">.*?</table>', fragment, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", table)
    assert len(rows) == 30 and rows[0] == ("4", "1", "1") and set(rows[1:]) == {("0", "0", "0")}
    assert '<th scope="col">Envoyées</th>' in table


def test_funnel_page_without_htmx_in_english(logged_in):
    page = logged_in.get("/gestionnaire/entonnoir", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "<h1>" in html
    assert "Where your consents come from" in html and "Through your share links" in html


def test_funnel_needs_a_signed_in_sender(client):
    response = client.get("/gestionnaire/entonnoir")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
