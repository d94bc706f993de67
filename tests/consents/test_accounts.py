"""Sender accounts: sign-up normalises and refuses what it must, authentication says only yes or no."""
import pytest

from conftest import PASSWORD, make_sender
from consents.accounts import authenticate, sign_up
from consents.models import Sender, User
from consents.rules import RuleError


def test_sign_up_normalises_the_email_and_the_legal_name(app):
    user = sign_up("  Cabinet   Martin \n Gestion ", "", "  Gerant@Martin-Gestion.FR ", PASSWORD)
    assert user.email == "gerant@martin-gestion.fr"
    assert user.sender.legal_name == "Cabinet Martin Gestion" and user.sender.siren is None
    assert user.role == "owner" and user.password_hash != PASSWORD


def test_a_second_account_for_the_same_address_is_refused_in_french(app):
    make_sender(email="gerant@martin-gestion.fr")
    with pytest.raises(RuleError) as refused:
        sign_up("Autre cabinet", "", "GERANT@martin-gestion.fr", PASSWORD)
    assert str(refused.value.message) == "Un compte existe déjà pour cette adresse email."
    assert Sender.query.count() == 1 and User.query.count() == 1


def test_a_short_password_or_an_empty_name_creates_nothing(app):
    with pytest.raises(RuleError) as short:
        sign_up("Cabinet Martin Gestion", "", "gerant@martin-gestion.fr", "court")
    assert "12 caractères" in str(short.value.message)
    with pytest.raises(RuleError) as unnamed:
        sign_up("   ", "", "gerant@martin-gestion.fr", PASSWORD)
    assert "raison sociale" in str(unnamed.value.message)
    assert Sender.query.count() == 0 and User.query.count() == 0


def test_authenticate_answers_only_for_the_right_address_and_password(sender_user):
    assert authenticate(" GERANT@martin-gestion.fr", PASSWORD) == sender_user
    assert authenticate("gerant@martin-gestion.fr", "mauvais-mot-de-passe") is None
    assert authenticate("inconnu@martin-gestion.fr", PASSWORD) is None
    assert authenticate("pas-une-adresse", PASSWORD) is None
    assert authenticate("gerant@martin-gestion.fr", "") is None
