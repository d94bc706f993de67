"""Views of the public blueprint: the receipt verifier, a receipt's status page and the key set."""
from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints import render_page
from consents.events import first_event_after
from consents.keys import published_keys
from consents.evidence_models import Proof
from consents.verification import MAX_UPLOAD, UploadError, read_upload, verify_bundle
from extensions import limiter

bp = Blueprint("public", __name__)


def upload_error_message(code: str) -> str:
    """The visitor's words for an upload that cannot be verified."""
    return {
        "too_large": _("Le fichier dépasse 1 Mio : déposez le certificat (.pdf), le reçu (.json) ou le dossier de "
                       "preuve (.zip) tels que téléchargés."),
        "malformed": _("Ce fichier n'est pas lisible : déposez un certificat PDF, un reçu JSON ou un dossier de "
                       "preuve ZIP intacts."),
        "no_receipt": _("Aucun reçu de consentement trouvé dans ce fichier."),
        "pdf_without_receipt": _("Ce PDF ne contient pas de reçu signé : déposez le certificat tel que téléchargé "
                                 "ou reçu par email, sans l'avoir imprimé ni réenregistré."),
        "unsupported": _("Ce type de fichier n'est pas pris en charge : déposez le certificat (.pdf), le dossier de "
                         "preuve (.zip) ou le reçu (.json) avec sa signature (.sig.json) et son jeton (.tsr)."),
        "missing": _("Choisissez un fichier à vérifier."),
    }[code]


@bp.route("/verifier", methods=["GET"])
def verify():
    """Show the form that checks a receipt or a proof folder."""
    return render_template("public/verify.html", verdict=None, error=None)


@bp.route("/verifier", methods=["POST"])
@limiter.limit("20 per minute")
def verify_upload():
    """Check an uploaded receipt (with its signature and token) or proof folder, showing only what it holds."""
    verdict, error = None, None
    try:
        files = [(f.filename or "", f.read(MAX_UPLOAD + 1)) for f in request.files.getlist("fichier") if f.filename]
    except RequestEntityTooLarge:
        files, error = [], upload_error_message("too_large")
    if not files and error is None:
        error = upload_error_message("missing")
    elif files:
        try:
            verdict = verify_bundle(read_upload(files))
        except UploadError as exc:
            error = upload_error_message(exc.code)
    status = 200 if verdict is not None else 422
    return render_page("public/verify.html", status, verdict=verdict, error=error)


@bp.route("/verifier/recu/<receipt_id>")
@limiter.limit("60 per minute")
def receipt_status(receipt_id: str):
    """Say whether a receipt number is in our history, with only what its certificate already prints."""
    proof = Proof.query.filter_by(uuid=receipt_id[:36]).first()
    if proof is None:
        abort(404)
    return render_template("public/receipt_status.html", proof=proof,
                           revoked=first_event_after(proof.consent_id, proof.event_id, "revoked"),
                           paper=first_event_after(proof.consent_id, proof.event_id, "paper_chosen"))


@bp.route("/cles-publiques.json")
def keys():
    """The current and past public keys that sign receipts (JWK set)."""
    response = jsonify(published_keys())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
