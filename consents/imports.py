"""Imports from a spreadsheet: read a CSV or text file as French Excel writes it, preview it, then ask or record.

An import never turns a refusal or a withdrawal into a consent, and never asks or records twice.
"""
from __future__ import annotations

import csv
import io
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from consents import clock
from consents.db import db
from consents.evidence_models import EvidenceFile, ImportFile
from consents.lifecycle import request_consents
from consents.manual import SKIP_REASONS, Declaration, add_manual_consents
from consents.models import ACCEPTED, PENDING, Sender, User
from consents.outcome import Outcome
from consents.rules import LineError, Recipient, RuleError, check_kind, check_name, normalise_email
from consents.storage import evidence_store

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
CHUNK = 1000
PREVIEW_ROWS = 10
SEPARATORS = (";", ",", "\t")
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")  # utf-8-sig also reads UTF-8 without a byte order mark
ASK, RECORD = "ask", "record"
_COLUMNS = {
    "email": {"email", "e-mail", "mail", "courriel", "adresse", "adresse email", "adresse e-mail", "adresse mail"},
    "name": {"nom", "name", "nom complet", "destinataire", "nom et prenom", "prenom nom"},
    "kind": {"type", "kind", "categorie", "type de destinataire", "qualite"},
}


@dataclass
class Parsed:
    """What a file holds: how it was read, its good rows and every bad row with its reason."""

    encoding: str
    separator: str
    header: bool
    columns: dict[str, int]
    good: list[tuple[int, Recipient]] = field(default_factory=list)
    bad: list[LineError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Data rows read (the header aside)."""
        return len(self.good) + len(self.bad)


def _fold(text: str) -> str:
    """Lower case without accents or surrounding spaces, to recognise a column's name."""
    return "".join(c for c in unicodedata.normalize("NFD", text.strip().lower()) if not unicodedata.combining(c))


def decode(content: bytes) -> tuple[str, str]:
    """The file's text and the encoding that read it: UTF-8 (with or without BOM), else Windows-1252."""
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RuleError(_l("Ce fichier n'est pas un texte lisible : enregistrez-le au format CSV."))


def detect_separator(text: str) -> str:
    """`;`, `,` or tab, as the file's first lines use it."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(SEPARATORS, key=first.count)


def _header(cells: list[str]) -> dict[str, int] | None:
    """Which column holds what, when the first row names them (an email column at least)."""
    columns = {}
    for index, cell in enumerate(cells):
        for name, aliases in _COLUMNS.items():
            if _fold(cell) in aliases and name not in columns:
                columns[name] = index
    return columns if "email" in columns else None


def parse(content: bytes, separator: str | None = None) -> Parsed:
    """Read a whole file; bad rows are kept with their line number and reason, good rows are never lost."""
    if len(content) > MAX_IMPORT_BYTES:
        raise RuleError(_l("Le fichier dépasse 20 Mio : découpez-le."))
    text, encoding = decode(content)
    separator = separator if separator in SEPARATORS else detect_separator(text)
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    first = next(reader, None)
    if first is None:
        raise RuleError(_l("Le fichier est vide."))
    header = _header(first)
    parsed = Parsed(encoding, separator, header is not None, header or {"email": 0, "name": 1, "kind": 2})
    seen: dict[str, int] = {}
    rows = reader if header else [first, *reader]
    for number, cells in enumerate(rows, start=2 if header else 1):
        if not any(cell.strip() for cell in cells):
            continue
        if parsed.rows >= MAX_IMPORT_ROWS:
            raise RuleError(_l("Le fichier dépasse %(n)s lignes : découpez-le.", n="100 000"))
        _read_row(parsed, number, cells, seen)
    return parsed


def _read_row(parsed: Parsed, number: int, cells: list[str], seen: dict[str, int]) -> None:
    """Check one row and file it with the good or the bad ones."""
    def cell(name: str) -> str:
        index = parsed.columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    line = parsed.separator.join(cells)[:200]
    try:
        recipient = Recipient(normalise_email(cell("email")), check_name(cell("name")),
                              check_kind(cell("kind")) if cell("kind") else "particulier")
    except RuleError as exc:
        parsed.bad.append(LineError(number, line, str(exc.message)))
        return
    if recipient.email in seen:
        parsed.bad.append(LineError(number, line, str(_l("Adresse déjà présente à la ligne %(line)d.",
                                                         line=seen[recipient.email]))))
        return
    seen[recipient.email] = number
    parsed.good.append((number, recipient))


def upload_import(sender: Sender, user: User, filename: str, content: bytes,
                  separator: str | None = None) -> tuple[ImportFile, Parsed]:
    """Keep an uploaded file for its preview and its import; refuse one that cannot be read."""
    parsed = parse(content, separator)
    key = evidence_store().save(content)
    imported = ImportFile(sender_id=sender.id, uploaded_by_id=user.id, size=len(content), sha256=key,
                          storage_key=key, filename=os.path.basename(filename or "import.csv")[:200],
                          encoding=parsed.encoding, separator=parsed.separator, created_at=clock.now(),
                          total=parsed.rows, rejected=len(parsed.bad))
    db.session.add(imported)
    db.session.commit()
    return imported, parsed


def read_import(imported: ImportFile) -> Parsed:
    """Read a kept file again, as its preview read it."""
    return parse(evidence_store().read(imported.storage_key), imported.separator)


def choose_action(imported: ImportFile, action: str, options: dict) -> None:
    """Fix what the import does (once): ask the good rows, or record them as consents obtained offline."""
    if imported.action is not None:
        raise RuleError(_l("Cet import a déjà été lancé."))
    if action not in (ASK, RECORD):
        raise RuleError(_l("Choisissez ce que l'import doit faire."))
    imported.action, imported.options = action, options
    db.session.commit()


def run_import(import_id: int) -> Iterator[Outcome]:
    """Import the good rows chunk by chunk, each chunk committed with its progress; yield what each wrote."""
    imported = db.session.get(ImportFile, import_id)
    if imported is None or imported.action is None or imported.finished_at is not None:
        return
    sender, user = db.session.get(Sender, imported.sender_id), db.session.get(User, imported.uploaded_by_id)
    parsed = read_import(imported)
    results = [(e.line, e.text.split(imported.separator)[0], "rejetée", e.reason) for e in parsed.bad]
    imported.started_at, imported.processed, imported.created, imported.skipped = clock.now(), len(parsed.bad), 0, 0
    db.session.commit()
    options = imported.options or {}
    for start in range(0, len(parsed.good), CHUNK):
        chunk = parsed.good[start:start + CHUNK]
        recipients = [recipient for _line, recipient in chunk]
        outcome, skipped = (_ask(sender, user, recipients, options) if imported.action == ASK
                            else _record(sender, user, recipients, options))
        for line, recipient in chunk:
            reason = skipped.get(recipient.email)
            results.append((line, recipient.email, "ignorée" if reason else "créée", reason or ""))
        imported.processed += len(chunk)
        imported.created += len(chunk) - len(skipped)
        imported.skipped += len(skipped)
        db.session.commit()
        yield outcome
    imported.result_key = evidence_store().save(_results_csv(sorted(results)))
    imported.finished_at = clock.now()
    db.session.commit()


def _ask(sender: Sender, user: User, recipients: list[Recipient], options: dict) -> tuple[Outcome, dict[str, str]]:
    """Ask a chunk for consent, as «Demander à plusieurs» does; who is not asked, and why."""
    outcome = request_consents(sender, user, recipients, options["delay"], lre=options["lre"], avis=options["avis"],
                               reminders=options.get("reminders", True))
    skipped = {r.email: str(SKIP_REASONS[ACCEPTED]) for r in outcome.already_accepted}
    skipped |= {r.email: str(SKIP_REASONS[PENDING]) for r in outcome.already_pending}
    skipped |= {r.recipient.email: str(_l("a refusé ou retiré son consentement : à redemander un par un"))
                for r in outcome.needs_confirmation}
    return outcome, skipped


def _record(sender: Sender, user: User, recipients: list[Recipient], options: dict) -> tuple[Outcome, dict[str, str]]:
    """Record a chunk as consents obtained offline, all with the same source, date and evidence file."""
    evidence = db.session.get(EvidenceFile, options["evidence_id"]) if options.get("evidence_id") else None
    declaration = Declaration(lre=options["lre"], avis=options["avis"],
                              obtained_on=date.fromisoformat(options["obtained_on"]), source=options["source"],
                              reference=options.get("reference", ""), evidence=evidence)
    return add_manual_consents(sender, user, recipients, declaration)


def _results_csv(results: list[tuple[int, str, str, str]]) -> bytes:
    """Every row's fate, for the sender to download: line, email, result, reason."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(("ligne", "email", "résultat", "raison"))
    writer.writerows(results)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def errors_csv(parsed: Parsed) -> bytes:
    """The rejected rows of a preview, for the sender to correct: line, content, reason."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(("ligne", "contenu", "raison"))
    writer.writerows((e.line, e.text, e.reason) for e in parsed.bad)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
