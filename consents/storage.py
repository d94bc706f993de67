"""Where evidence files live: a small interface, the instance folder by default (EVIDENCE_DIR to move it)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from consents.rules import RuleError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# Types are read from the content, never from the name or the browser's word for it.
_SIGNATURES = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
               (b"\xff\xd8\xff", "image/jpeg", "jpg"))


def evidence_type(content: bytes) -> tuple[str, str]:
    """The MIME type and extension of an evidence file, or RuleError when it is not a PDF, JPEG or PNG."""
    if len(content) > MAX_EVIDENCE_BYTES:
        raise RuleError(_l("Le justificatif dépasse 10 Mio."))
    for signature, mimetype, extension in _SIGNATURES:
        if content.startswith(signature):
            return mimetype, extension
    raise RuleError(_l("Le justificatif doit être un PDF, une image JPEG ou PNG."))


class FolderStore:
    """Files kept in a folder under their SHA-256: writing the same bytes twice keeps one copy."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def save(self, content: bytes) -> str:
        """Store bytes and return their key."""
        key = hashlib.sha256(content).hexdigest()
        path = self.root / key[:2] / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(content)
            temporary.replace(path)  # a crash never leaves half a file under the final name
        return key

    def read(self, key: str) -> bytes:
        """The bytes stored under a key."""
        return (self.root / key[:2] / key).read_bytes()


def evidence_store() -> FolderStore:
    """The configured store of evidence files."""
    return FolderStore(current_app.config.get("EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence")
