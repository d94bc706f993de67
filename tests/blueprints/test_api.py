"""The JSON API under /api/v1: keys and scopes, problem+json errors, asking, listing, revoking, receipts."""
from __future__ import annotations

import json

import pytest

from conftest import accept_one, ask, latest_email, make_sender
from consents.api_keys import create_key, key_hash, revoke_key
from consents.api_models import ApiKey
from consents.models import Consent, ConsentRequest, Contact, OutboundEmail


def key_for(user, scopes=("read", "ask", "check")) -> str:
    """A clear API key of the user's sender."""
    return create_key(user, "Logiciel de gestion", list(scopes))[1]


def bearer(token: str, **headers) -> dict:
    """The headers of a request with a key."""
    return {"Authorization": f"Bearer {token}", **headers}


def _consent(email: str) -> Consent:
    return Consent.query.join(Contact).filter(Contact.email == email).one()


def assert_problem(response, status: int, code: str):
    """An RFC 9457 body with the status and the code in its type."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].endswith(f"#{code}") and body["title"] and body["detail"]
    return body


def test_no_key_revoked_key_and_wrong_scope_are_refused_as_problems(client, sender_user):
    assert_problem(client.get("/api/v1/consentements"), 401, "unauthorized")
    assert client.get("/api/v1/consentements").headers["WWW-Authenticate"].startswith("Bearer")
    token = key_for(sender_user, scopes=("check",))
    body = assert_problem(client.get("/api/v1/consentements", headers=bearer(token)), 403, "forbidden")
    assert "read" in body["detail"]
    key = ApiKey.query.one()
    revoke_key(key)
    assert_problem(client.get("/api/v1/consentements", headers=bearer(token)), 401, "unauthorized")
    # A cookie session is no key.
    assert_problem(client.get("/api/v1/consentements", headers={"Authorization": "Basic abc"}), 401, "unauthorized")


def test_errors_speak_the_requests_language(client, sender_user):
    french = client.get("/api/v1/consentements").get_json(force=True)
    english = client.get("/api/v1/consentements", headers={"Accept-Language": "en"}).get_json(force=True)
    assert french["title"] == "Clé d'API manquante"
    assert english["title"] == "API key missing"
    unknown = client.get("/api/v1/rien", headers={"Accept-Language": "en"})
    assert_problem(unknown, 404, "not_found")
    assert unknown.headers["Content-Language"] == "en"


def test_key_is_stored_as_an_hmac_and_its_last_use_is_noted(client, sender_user):
    key, token = create_key(sender_user, "Compta", ["read"])
    assert token.startswith("lre_") and len(token) > 40
    assert token not in (key.key_hash, key.prefix) and len(key.key_hash) == 64
    assert key.last_used_at is None
    assert client.get("/api/v1/consentements", headers=bearer(token)).status_code == 200
    assert ApiKey.query.one().last_used_at is not None


def test_ask_uses_the_forms_verb_and_an_idempotency_key_replays(client, sender_user):
    token = key_for(sender_user)
    body = {"destinataires": [{"email": "Marie@Example.fr", "nom": "Marie", "type": "particulier"},
                              {"email": "pro@example.fr", "nom": "SARL Pro", "type": "professionnel"}],
            "delai_jours": 10, "usages": ["lre", "avis"]}
    headers = bearer(token, **{"Idempotency-Key": "lot-42"})
    first = client.post("/api/v1/demandes", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["demandes"] == 2
    assert {r["email"] for r in first.json["resultats"]} == {"marie@example.fr", "pro@example.fr"}
    assert OutboundEmail.query.filter_by(kind="request").count() == 2
    assert _consent("marie@example.fr").status == "pending"
    assert ConsentRequest.query.first().delay_days == 10

    again = client.post("/api/v1/demandes", json=body, headers=headers)
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ConsentRequest.query.count() == 2 and OutboundEmail.query.filter_by(kind="request").count() == 2

    other = dict(body, delai_jours=20)
    assert_problem(client.post("/api/v1/demandes", json=other, headers=headers), 422, "idempotency_mismatch")
    # Without the key, the same ask finds both already pending: nobody is asked twice.
    plain = client.post("/api/v1/demandes", json=body, headers=bearer(token))
    assert plain.json["demandes"] == 0
    assert {r["resultat"] for r in plain.json["resultats"]} == {"deja_en_attente"}


def test_ask_refuses_bad_recipients_and_bad_delays_without_asking_anyone(client, sender_user):
    token = key_for(sender_user)
    bad = client.post("/api/v1/demandes", headers=bearer(token), json={"destinataires": [
        {"email": "ok@example.fr"}, {"email": "pas-une-adresse"}, {"email": "ok@example.fr"}]})
    body = assert_problem(bad, 422, "invalid")
    assert [e["index"] for e in body["erreurs"]] == [1, 2]
    assert_problem(client.post("/api/v1/demandes", headers=bearer(token),
                               json={"destinataires": [{"email": "a@example.fr"}], "delai_jours": 45}), 422, "invalid")
    assert_problem(client.post("/api/v1/demandes", headers=bearer(token), data="[[[",
                               content_type="application/json"), 400, "invalid_json")
    too_many = {"destinataires": [{"email": f"p{i}@example.fr"} for i in range(1001)]}
    assert_problem(client.post("/api/v1/demandes", headers=bearer(token), json=too_many), 422, "invalid")
    assert ConsentRequest.query.count() == 0


def test_list_pages_by_cursor_and_filters(app, logged_in, sender_user, frozen_now):
    for i in range(5):
        ask(logged_in, email=f"p{i}@example.fr", name=f"P{i}")
        frozen_now.advance(minutes=1)
    accept_one(logged_in, email="oui@example.fr")
    client = app.test_client()
    token = key_for(sender_user)
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/consentements", query_string={"limite": 2, **({"curseur": cursor} if cursor else {})},
                          headers=bearer(token)).json
        seen += [c["email"] for c in page["donnees"]]
        cursor = page["curseur_suivant"]
        if cursor is None:
            break
    assert seen == [f"p{i}@example.fr" for i in range(5)] + ["oui@example.fr"]
    accepted = client.get("/api/v1/consentements?statut=accepted", headers=bearer(token)).json["donnees"]
    assert [c["email"] for c in accepted] == ["oui@example.fr"] and accepted[0]["statut"] == "accepted"
    since = client.get("/api/v1/consentements", query_string={"depuis": frozen_now.now.strftime("%Y-%m-%dT%H:%M:%SZ")},
                       headers=bearer(token)).json["donnees"]
    assert [c["email"] for c in since] == ["oui@example.fr"]
    frozen_now.advance(days=16)
    expired = client.get("/api/v1/consentements?statut=expired", headers=bearer(token)).json["donnees"]
    assert len(expired) == 5 and {c["statut"] for c in expired} == {"expired"}
    assert_problem(client.get("/api/v1/consentements?curseur=xyz", headers=bearer(token)), 422, "invalid")
    assert_problem(client.get("/api/v1/consentements?statut=oui", headers=bearer(token)), 422, "invalid")


def test_detail_receipt_and_another_senders_consent(app, logged_in, sender_user):
    accept_one(logged_in, email="marie@example.fr")
    consent = _consent("marie@example.fr")
    client = app.test_client()
    token = key_for(sender_user)
    detail = client.get(f"/api/v1/consentements/{consent.id}", headers=bearer(token)).json
    assert [e["type"] for e in detail["historique"]] == ["requested", "accepted"]
    assert detail["recu"]["url"].endswith(f"/api/v1/consentements/{consent.id}/recu")
    receipt = client.get(f"/api/v1/consentements/{consent.id}/recu", headers=bearer(token))
    kantara = json.loads(receipt.data)
    assert kantara["consentReceiptID"] == detail["recu"]["id"] and kantara["piiPrincipalId"] == "marie@example.fr"
    assert "sig=" in receipt.headers["Receipt-Signature"]
    dpv = client.get(f"/api/v1/consentements/{consent.id}/recu",
                     headers=bearer(token, Accept="application/ld+json"))
    assert dpv.mimetype == "application/ld+json"
    assert dpv.get_json(force=True)["dpv:hasConsentStatus"] == {"@id": "dpv:ConsentGiven"}

    other = make_sender("Syndic Autre", "autre@syndic.fr")
    other_token = key_for(other)
    for path in ("", "/recu"):
        assert_problem(client.get(f"/api/v1/consentements/{consent.id}{path}", headers=bearer(other_token)),
                       404, "not_found")
    assert_problem(client.post(f"/api/v1/consentements/{consent.id}/revocation", json={"source": "email"},
                               headers=bearer(other_token)), 404, "not_found")


def test_revocation_through_the_api_and_the_receipt_says_withdrawn(app, logged_in, sender_user):
    accept_one(logged_in, email="marie@example.fr")
    consent = _consent("marie@example.fr")
    client = app.test_client()
    token = key_for(sender_user)
    assert_problem(client.post(f"/api/v1/consentements/{consent.id}/revocation", json={"source": "pigeon"},
                               headers=bearer(token)), 422, "invalid")
    done = client.post(f"/api/v1/consentements/{consent.id}/revocation",
                       json={"source": "courrier", "note": "Lettre du 2 mars"}, headers=bearer(token))
    assert done.status_code == 200 and done.json["statut"] == "revoked"
    assert latest_email("revocation").to == "marie@example.fr"
    dpv = client.get(f"/api/v1/consentements/{consent.id}/recu", headers=bearer(token, Accept="application/ld+json"))
    assert dpv.get_json(force=True)["dpv:hasConsentStatus"] == {"@id": "dpv:ConsentWithdrawn"}
    assert_problem(client.post(f"/api/v1/consentements/{consent.id}/revocation", json={"source": "courrier"},
                               headers=bearer(token)), 422, "invalid")


def test_receipts_of_a_filter_as_json_lines(app, logged_in, sender_user):
    accept_one(logged_in, email="a@example.fr")
    accept_one(logged_in, email="b@example.fr")
    ask(logged_in, email="c@example.fr")
    client = app.test_client()
    response = client.get("/api/v1/recus.jsonl?statut=accepted", headers=bearer(key_for(sender_user)))
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert response.mimetype == "application/jsonl"
    assert sorted(line["recu"]["piiPrincipalId"] for line in lines) == ["a@example.fr", "b@example.fr"]
    assert all(line["signature"]["alg"] and line["signature"]["signature"] for line in lines)


def test_openapi_document_and_docs(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/demandes", "/consentements", "/consentements/{consent_id}", "/consentements/{consent_id}/revocation",
            "/consentements/{consent_id}/recu", "/recus.jsonl", "/verification", "/preuves/{proof_id}"} <= set(spec["paths"])
    assert spec["paths"]["/demandes"]["post"]["security"] == [{"cle": ["ask"]}]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "POST /api/v1/demandes" in page.get_data(as_text=True)


@pytest.fixture
def limited(app_config):
    """Rate limits on, three requests a minute per key."""
    app_config.update(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    return app_config


def test_rate_limit_is_per_key(limited, app, sender_user):
    client = app.test_client()
    first, second = key_for(sender_user), key_for(sender_user)
    for _ in range(3):
        assert client.get("/api/v1/consentements", headers=bearer(first)).status_code == 200
    refused = client.get("/api/v1/consentements", headers=bearer(first))
    assert_problem(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 60 and refused.headers["RateLimit-Remaining"] == "0"
    assert client.get("/api/v1/consentements", headers=bearer(second)).status_code == 200


def test_every_answer_tells_where_the_key_stands_and_the_window_ends(limited, app, sender_user):
    from extensions import get_redis

    client = app.test_client()
    token = key_for(sender_user)
    answers = [client.get("/api/v1/verification?email=a@example.fr&type=lre", headers=bearer(token)) for _ in range(2)]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1"]
    assert answers[0].headers["RateLimit-Limit"] == "3" and "Retry-After" not in answers[0].headers
    assert 0 < int(answers[1].headers["RateLimit-Reset"]) <= 60
    # The window's counter expires, so the key gets its whole quota back a minute later.
    counters = list(get_redis().scan_iter("api-quota:*"))
    assert counters and all(0 < get_redis().ttl(name) <= 60 for name in counters)


def test_without_redis_the_api_still_answers_uncounted(limited, app, sender_user):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    answer = app.test_client().get("/api/v1/verification?email=a@example.fr&type=lre",
                                   headers=bearer(key_for(sender_user)))
    assert answer.status_code == 200 and answer.json["raison"] == "unknown"
    assert "RateLimit-Remaining" not in answer.headers


def test_verification_tells_who_asks_before_what_is_wrong(client, sender_user):
    query = {"email": "marie@example.fr", "type": "lre"}
    assert_problem(client.get("/api/v1/verification", query_string=query), 401, "unauthorized")
    assert_problem(client.get("/api/v1/verification", query_string=query, headers=bearer("lre_inconnue")),
                   401, "unauthorized")
    reader = key_for(sender_user, scopes=("read",))
    body = assert_problem(client.get("/api/v1/verification", query_string=query, headers=bearer(reader)),
                          403, "forbidden")
    assert body["scope"] == "check"
    # A bad address from an unknown key is refused for the key, not for the address.
    bad = {"email": "pas-une-adresse", "type": "lre"}
    assert_problem(client.get("/api/v1/verification", query_string=bad, headers=bearer("lre_inconnue")),
                   401, "unauthorized")
    assert_problem(client.get("/api/v1/verification", query_string=bad, headers=bearer(reader)), 403, "forbidden")
    revoked = key_for(sender_user, scopes=("check",))
    revoke_key(ApiKey.query.filter_by(key_hash=key_hash(revoked)).one())
    assert_problem(client.get("/api/v1/verification", query_string=query, headers=bearer(revoked)), 401, "unauthorized")


def test_api_posts_need_no_csrf_token_but_forms_still_do(app_config, sender_user, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/api/v1/demandes", json={"destinataires": [{"email": "a@example.fr"}]},
                           headers=bearer(key_for(sender_user)))
    assert response.status_code == 201
    assert client.post("/connexion", data={"email": "x@example.fr", "password": "y"}).status_code == 400


def test_verification_answers_the_l100_question(app, logged_in, sender_user, frozen_now):
    accept_one(logged_in, email="marie@example.fr")
    ask(logged_in, email="jean@example.fr")
    # The form warns that a professional need not consent to an LRE; the sender asks anyway.
    logged_in.post("/gestionnaire/demander", data={"email": "pro@example.fr", "name": "", "kind": "professionnel",
                                                   "scope": "lre", "delay": "15", "professionals": "ask"})
    client = app.test_client()
    token = key_for(sender_user, scopes=("check",))

    def verify(email, kind="lre", **headers):
        return client.get("/api/v1/verification", query_string={"email": email, "type": kind},
                          headers=bearer(token, **headers))

    yes = verify("Marie@Example.fr").json
    assert yes["autorise"] is True and yes["raison"] == "consent" and yes["depuis"].endswith("Z")
    assert yes["preuve"].startswith("http://consent.test/api/v1/preuves/")
    assert verify("marie@example.fr", "avis").json["raison"] == "not_in_scope"
    assert verify("jean@example.fr").json == verify("jean@example.fr").json
    assert verify("jean@example.fr").json["autorise"] is False and verify("jean@example.fr").json["raison"] == "pending"
    assert verify("pro@example.fr").json["raison"] == "not_required" and verify("pro@example.fr").json["autorise"]
    assert verify("inconnu@example.fr").json["raison"] == "unknown"
    assert "LRE" in verify("inconnu@example.fr", Accept_Language="en").json["libelle"]
    frozen_now.advance(days=16)
    assert verify("jean@example.fr").json["raison"] == "expired"
    assert_problem(verify("pas-une-adresse"), 422, "invalid")
    assert_problem(verify("marie@example.fr", "fax"), 422, "invalid")
    # The proof it names is the consent's signed receipt, for a key that may read.
    reader = key_for(sender_user, scopes=("read",))
    receipt = client.get(yes["preuve"].removeprefix("http://consent.test"), headers=bearer(reader))
    assert json.loads(receipt.data)["piiPrincipalId"] == "marie@example.fr"
    other = key_for(make_sender("Syndic Autre", "autre@syndic.fr"))
    assert_problem(client.get(yes["preuve"].removeprefix("http://consent.test"), headers=bearer(other)), 404, "not_found")
    assert client.get("/api/v1/verification", query_string={"email": "marie@example.fr", "type": "lre"},
                      headers=bearer(other)).json["raison"] == "unknown"
