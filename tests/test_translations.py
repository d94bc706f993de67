"""Both catalogues are complete and cover every string the code and templates use."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["app.py", "cli.py", "extensions.py", "blueprints", "consents", "jobs", "templates"]


def _catalog(lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _extracted(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "translations/babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-o", str(pot), *SOURCES],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_every_string_in_the_code_is_in_both_catalogues(tmp_path):
    used = _extracted(tmp_path)
    assert len(used) > 150
    for lang in ("fr", "en"):
        known = {m.id for m in _catalog(lang) if m.id}
        missing = used - known
        assert not missing, f"{lang}: run `make update-translations` and translate: {sorted(missing, key=str)[:5]}"


def test_every_entry_is_translated_and_not_fuzzy():
    for lang in ("fr", "en"):
        for message in _catalog(lang):
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{lang}: untranslated {message.id!r}"
            assert "fuzzy" not in message.flags, f"{lang}: fuzzy {message.id!r}"
