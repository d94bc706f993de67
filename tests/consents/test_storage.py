"""Evidence files: typed from their content, stored once under their SHA-256, read back intact."""
from __future__ import annotations

import hashlib

import pytest

from consents.rules import RuleError
from consents.storage import FolderStore, evidence_type


def test_types_come_from_the_bytes_not_the_name():
    assert evidence_type(b"%PDF-1.7 ...") == ("application/pdf", "pdf")
    assert evidence_type(b"\xff\xd8\xff\xe0 jfif") == ("image/jpeg", "jpg")
    assert evidence_type(b"\x89PNG\r\n\x1a\n...") == ("image/png", "png")
    for content in (b"GIF89a", b"<html>", b"PK\x03\x04"):
        with pytest.raises(RuleError):
            evidence_type(content)


def test_the_folder_keeps_one_copy_per_content(tmp_path):
    store = FolderStore(tmp_path)
    key = store.save(b"%PDF-1 a")
    assert key == hashlib.sha256(b"%PDF-1 a").hexdigest() and store.save(b"%PDF-1 a") == key
    assert store.read(key) == b"%PDF-1 a"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
