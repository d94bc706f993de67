"""Input rules: emails, SIREN, delays, kinds and pasted lists."""
import pytest

from consents.rules import (
    RuleError, check_delay, check_kind, check_siren, luhn_ok, normalise_email, parse_recipient_list,
)


def test_email_is_normalised_and_bad_ones_are_refused(app):
    assert normalise_email("  Marie.Dupont@Example.FR ") == "marie.dupont@example.fr"
    for bad in ("", "marie", "marie@", "@example.fr", "a b@example.fr"):
        with pytest.raises(RuleError):
            normalise_email(bad)


def test_siren_needs_nine_digits_and_luhn(app):
    assert check_siren("732 829 320") == "732829320"
    assert check_siren("") is None
    assert luhn_ok("732829320")
    for bad in ("732829321", "12345678", "abcdefghi", "7328293200"):
        with pytest.raises(RuleError) as error:
            check_siren(bad)
        assert "SIREN" in str(error.value.message)


def test_delay_between_3_and_30_days(app):
    assert check_delay("3") == 3 and check_delay(30) == 30
    for bad in (2, 31, "x", None, -5):
        with pytest.raises(RuleError) as error:
            check_delay(bad)
    assert "entre 3 et 30 jours" in str(error.value.message) or "nombre de jours" in str(error.value.message)
    with pytest.raises(RuleError) as error:
        check_delay(31)
    assert "entre 3 et 30 jours" in str(error.value.message)


def test_kinds_accept_accents_case_and_abbreviations(app):
    assert check_kind("Particulier") == "particulier"
    assert check_kind("PRO") == "professionnel"
    assert check_kind(" Administration ") == "administration"
    with pytest.raises(RuleError):
        check_kind("voisin")


def test_pasted_list_reports_every_bad_line_with_its_number(app):
    text = "\n".join([
        "marie@example.fr;Marie;particulier",
        "",
        "pas-un-email;Paul;particulier",
        "sarl@example.fr;SARL Dupont;professionnel",
        "jean@example.fr;Jean",
        "mairie@example.fr;Mairie;voisin",
        "MARIE@example.fr;Marie bis;particulier",
    ])
    good, errors = parse_recipient_list(text)
    assert [r.email for r in good] == ["marie@example.fr", "sarl@example.fr"]
    assert [e.line for e in errors] == [3, 5, 6, 7]
    reasons = {e.line: e.reason for e in errors}
    assert "invalide" in reasons[3]
    assert "email;nom;type" in reasons[5]
    assert "Type inconnu" in reasons[6]
    assert "ligne 1" in reasons[7]


def test_pasted_list_is_limited_to_1000_lines(app):
    ok, errors = parse_recipient_list("\n".join(f"p{i}@example.fr;P {i};particulier" for i in range(1000)))
    assert len(ok) == 1000 and not errors
    with pytest.raises(RuleError) as error:
        parse_recipient_list("\n".join(f"p{i}@example.fr;P;particulier" for i in range(1001)))
    assert "1000" in str(error.value.message) or "1 000" in str(error.value.message)


def test_paste_takes_tabs_commas_and_a_header_row():
    from consents.rules import parse_recipient_list

    text = ("email\tnom\ttype\n"
            "marie@example.fr\tMarie Dupont\tparticulier\n"
            "jean@example.fr,Jean Martin,professionnel\n"
            "zoe@example.fr;Zoé, la voisine;administration\n"
            "pas-une-adresse\tX\tparticulier\n")
    good, errors = parse_recipient_list(text)
    assert [(r.email, r.name, r.kind) for r in good] == [
        ("marie@example.fr", "Marie Dupont", "particulier"), ("jean@example.fr", "Jean Martin", "professionnel"),
        ("zoe@example.fr", "Zoé, la voisine", "administration")]
    assert [e.line for e in errors] == [5]
