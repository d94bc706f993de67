"""Canonical JSON: the same content gives the same bytes and digest, whatever the key order."""
import hashlib
import json

from consents.canonical import canonical_json, sha256_hex


def test_key_order_does_not_change_the_bytes_or_the_digest():
    first = {"piiPrincipal": {"name": "Marie", "email": "m@example.fr"}, "scope": ["lre", "avis"], "version": 1}
    second = {"version": 1, "scope": ["lre", "avis"], "piiPrincipal": {"email": "m@example.fr", "name": "Marie"}}
    assert canonical_json(first) == canonical_json(second)
    assert sha256_hex(canonical_json(first)) == sha256_hex(canonical_json(second))


def test_no_insignificant_whitespace_and_lists_keep_their_order():
    body = canonical_json({"b": [2, 1], "a": {"y": None, "x": True}})
    assert body == b'{"a":{"x":true,"y":null},"b":[2,1]}'
    assert canonical_json({"scope": ["avis", "lre"]}) != canonical_json({"scope": ["lre", "avis"]})


def test_non_ascii_text_stays_utf8_and_round_trips():
    value = {"piiController": "Société Hôtelière d'Île-de-France", "name": "Zoë Œuvray"}
    body = canonical_json(value)
    assert "Société Hôtelière d'Île-de-France".encode("utf-8") in body and b"\\u" not in body
    assert json.loads(body.decode("utf-8")) == value


def test_digest_is_the_sha256_of_the_bytes_and_changes_with_one_character():
    body = canonical_json({"email": "marie.dupont@example.fr"})
    assert sha256_hex(body) == hashlib.sha256(body).hexdigest() and len(sha256_hex(body)) == 64
    assert sha256_hex(canonical_json({"email": "marie.dupont@example.fr "})) != sha256_hex(body)
