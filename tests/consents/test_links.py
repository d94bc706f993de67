"""Public URLs: absolute, under BASE_URL, outside any request (as a job builds them)."""
from consents.links import public_url


def test_urls_are_absolute_under_the_base_url(app):
    assert public_url("recipient.answer", token="abc_-123") == "http://consent.test/c/abc_-123"
    assert public_url("public.keys") == "http://consent.test/cles-publiques.json"


def test_a_base_url_with_a_path_prefix_and_https_is_kept(app):
    app.config["BASE_URL"] = "https://www.example.fr/consentement"
    assert public_url("recipient.share_landing", slug="xyz") == "https://www.example.fr/consentement/l/xyz"
    app.config["BASE_URL"] = "https://www.example.fr/consentement/"
    assert public_url("public.receipt_status", receipt_id="r-1").startswith("https://www.example.fr/consentement/verifier/")


def test_inside_a_request_the_visited_host_does_not_leak_into_the_url(app):
    with app.test_request_context("/", base_url="http://internal-host:8000"):
        assert public_url("recipient.withdraw", token="t") == "http://consent.test/retrait/t"
