"""Imports from a spreadsheet: upload, preview with every bad row, then ask or record, as a job with progress."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints import render_page
from blueprints.sender.forms import ImportActionForm, ImportForm
from blueprints.sender.routes import bp, own
from consents.db import db
from consents.evidence_models import ImportFile
from consents.imports import ASK, PREVIEW_ROWS, choose_action, errors_csv, read_import, upload_import
from consents.manual import Declaration, Upload, check_declaration, store_evidence
from consents.rules import RuleError, check_delay
from consents.storage import evidence_store
from jobs.queue import enqueue

SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}


@bp.route("/gestionnaire/importer", methods=["GET", "POST"])
@login_required
def import_upload():
    """Upload a CSV or text file (20 Mio, 100 000 rows at most); its preview follows."""
    try:
        form = ImportForm()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.file.errors = [_("Le fichier dépasse 20 Mio : découpez-le.")]
        return render_template("sender/import.html", form=form), 422
    if form.validate_on_submit():
        upload = form.file.data
        try:
            separator = {"tab": "\t"}.get(form.separator.data, form.separator.data) or None
            imported, _parsed = upload_import(current_user.sender, current_user, upload.filename, upload.read(),
                                              separator)
        except RuleError as exc:
            form.file.errors = [str(exc.message)]
        else:
            return redirect(url_for("sender.import_preview", import_id=imported.id))
    return render_template("sender/import.html", form=form), 422 if form.errors else 200


@bp.route("/gestionnaire/importer/<id:import_id>", methods=["GET", "POST"])
@login_required
def import_preview(import_id: int):
    """The preview (first rows, counts, every bad row), the choice of action, then the import's progress."""
    imported = own(ImportFile, import_id)
    if imported.action is not None:
        return render_page("sender/import_progress.html", imported=imported)
    parsed = read_import(imported)
    form = ImportActionForm()
    if form.validate_on_submit():
        try:
            options = _options(form)
            choose_action(imported, form.action.data, options)
        except RuleError as exc:
            db.session.rollback()
            form.action.errors = [str(exc.message)]
        else:
            enqueue("jobs.imports.import_file", imported.id, job_id=f"import-{imported.id}")
            return redirect(url_for("sender.import_preview", import_id=imported.id))
    return render_template("sender/import_preview.html", imported=imported, parsed=parsed, form=form,
                           preview=parsed.good[:PREVIEW_ROWS], separator=SEPARATOR_NAMES[imported.separator]), \
        422 if form.errors else 200


def _options(form: ImportActionForm) -> dict:
    """What the chosen action needs, checked now rather than half-way through the import."""
    options = {"lre": form.lre, "avis": form.avis}
    if form.action.data == ASK:
        return options | {"delay": check_delay(form.delay.data), "reminders": bool(form.reminders.data)}
    if form.obtained_on.data is None:
        raise RuleError(_("Indiquez la date d'obtention."))
    declaration = Declaration(lre=form.lre, avis=form.avis, obtained_on=form.obtained_on.data,
                              source=form.source.data, reference=(form.reference.data or "").strip())
    check_declaration(declaration)
    upload = form.evidence.data
    evidence = (store_evidence(current_user.sender, current_user, Upload(upload.filename, upload.read()))
                if upload and upload.filename else None)
    return options | {"obtained_on": form.obtained_on.data.isoformat(), "source": form.source.data,
                      "reference": declaration.reference, "evidence_id": evidence.id if evidence else None}


@bp.route("/gestionnaire/importer/<id:import_id>/erreurs.csv")
@login_required
def import_errors(import_id: int):
    """The rejected rows of a preview, with their line numbers and reasons."""
    imported = own(ImportFile, import_id)
    return _csv(errors_csv(read_import(imported)), f"import-{imported.id}-lignes-rejetees.csv")


@bp.route("/gestionnaire/importer/<id:import_id>/resultat.csv")
@login_required
def import_result(import_id: int):
    """Every row of a finished import: created, skipped or rejected, and why."""
    imported = own(ImportFile, import_id)
    if imported.result_key is None:
        abort(404)
    return _csv(evidence_store().read(imported.result_key), f"import-{imported.id}-resultat.csv")


def _csv(content: bytes, filename: str) -> Response:
    """A CSV download."""
    return Response(content, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

