"""The PDF certificate of a proof, in French: every receipt field in plain words, hashes, status and a QR code."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

import segno
from fontTools import subset
from fontTools.ttLib import TTFont
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF

from consents.events import first_event_after
from consents.links import public_url
from consents.evidence_models import Proof
from consents.postal_models import envelope_lines

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
# Latin (with Vietnamese), Greek, Cyrillic, punctuation, currency, letterlike symbols, arrows, maths, ligatures:
# names and addresses print; the rest of DejaVu's 6,000 glyphs only slowed every certificate down by half.
FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x2B0, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF),
               (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF),
               (0x25A0, 0x25FF), (0xFB00, 0xFB06))
KINDS = {"particulier": "Particulier", "professionnel": "Professionnel", "administration": "Administration"}
CHANNELS = {"email": "Demande par email", "lien": "Lien de consentement partagé", "lro": "Choix LRO",
            "manuel": "Ajout manuel"}


_font_paths: dict[str, str] = {}


def _font(name: str) -> str:
    """Path of the shipped DejaVu font cut down to FONT_RANGES, made once per machine in the temp folder."""
    if name in _font_paths:
        return _font_paths[name]
    source = FONTS / f"{name}.ttf"
    digest = hashlib.sha256(source.read_bytes() + repr(FONT_RANGES).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / "consentement-lre-fonts" / f"{name}-{digest}.ttf"
    if not target.exists():
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "hdmx", "kern", "FFTM"]
        options.notdef_outline = True
        font = TTFont(source)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for low, high in FONT_RANGES for c in range(low, high + 1)])
        subsetter.subset(font)
        target.parent.mkdir(exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(partial)
        os.replace(partial, target)  # atomic: a concurrent process never reads half a font
    _font_paths[name] = str(target)
    return _font_paths[name]


def _when(iso: str | None) -> str:
    """A receipt's UTC ISO time as French words, with the UTC value kept in brackets."""
    if not iso:
        return "—"
    at = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    return f"{format_datetime(at, 'long')} ({iso})"


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of `url` as vector squares (crisp at any zoom, no image decoding)."""
    matrix = [list(row) for row in segno.make(url, error="m").matrix_iter(border=0)]
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
            else:
                c += 1


def _rows(receipt: dict, proof: Proof) -> list[tuple[str, str]]:
    """The certificate's label/value lines, from the receipt itself so they say exactly what is signed."""
    controller = receipt["piiControllers"][0]
    principal = receipt["piiPrincipal"]
    scope = {"lre": _("Lettres recommandées électroniques (LRE)"), "avis": _("Avis électroniques")}
    declared, paper = "declaration" in receipt, "paperChoice" in receipt
    parties = [
        (_("Numéro du reçu"), receipt["consentReceiptID"]),
        *([(_("Nature"), _("Déclaration de l'expéditeur : consentement obtenu hors de la plateforme"))] if declared else []),
        (_("Expéditeur"), controller["piiController"] + (f" (SIREN {controller['siren']})" if controller["siren"] else "")),
        (_("Déclaré par") if declared else _("Demandé par"), controller["requestedBy"] or "—"),
        (_("Destinataire"), principal["name"] or "—"),
        (_("Adresse email") if paper else _("Adresse email consentie"), principal["email"]),
        (_("Type de destinataire"), KINDS.get(principal["kind"], principal["kind"])),
        (_("Objet du consentement"), ", ".join(scope.get(k, k) for k in receipt["scope"])) if not paper else
        (_("Choix"), _("Courrier recommandé papier")),
    ]
    if proof.tsr is not None:
        stamp = _("Horodatage RFC 3161 obtenu le %(date)s", date=format_datetime(proof.timestamped_at, "long"))
    else:
        stamp = _("Horodatage en attente")
    integrity = [
        (_("Empreinte SHA-256 du reçu"), proof.receipt_sha256),
        (_("Signature"), _("Ed25519, clé %(kid)s — valide", kid=proof.key_id)),
        (_("Horodatage"), stamp),
    ]
    details = _declared_rows(receipt) if declared else _paper_rows(receipt) if paper else _answer_rows(receipt)
    return parties + details + integrity


def _paper_rows(receipt: dict) -> list[tuple[str, str]]:
    """Where the recipient wants paper letters, when and how they said so."""
    address = receipt["paperChoice"]["postalAddress"]
    how = {"demande": _("Réponse à une demande proposant le papier ou l'électronique"),
           "retrait": _("Demande faite depuis le lien du reçu de consentement")}
    return [
        (_("Adresse postale"), ", ".join(envelope_lines(**address))),
        (_("Mode de recueil"), how.get(receipt["paperChoice"]["via"], receipt["paperChoice"]["via"])),
        (_("Choix fait le"), _when(receipt["answer"]["at"])),
        (_("Adresse IP"), receipt["answer"]["ip"] or "—"),
        (_("Navigateur"), receipt["answer"]["userAgent"] or "—"),
        (_("Empreinte de l'événement dans l'historique"), receipt["history"]["eventHash"]),
    ]


def _answer_rows(receipt: dict) -> list[tuple[str, str]]:
    """How a consent was given on the platform: the law, the text read, the ask and the answer."""
    text, request, answer = receipt["consentText"], receipt["request"], receipt["answer"]
    return [
        (_("Base légale"), _("Article L100 du Code des postes et des communications électroniques (France)")),
        (_("Mode de recueil"), CHANNELS.get(receipt["collectionMethod"], receipt["collectionMethod"])),
        (_("Texte accepté"), _("version %(v)s, langue %(l)s", v=text["version"], l=text["language"])),
        (_("Empreinte SHA-256 du texte"), text["sha256"]),
        (_("Demande envoyée le"), _when(request["sentAt"])),
        (_("Date limite de réponse"), _when(request["deadline"])),
        (_("Consentement donné le"), _when(answer["at"])),
        (_("Adresse IP"), answer["ip"] or "—"),
        (_("Navigateur"), answer["userAgent"] or "—"),
        (_("Empreinte de l'événement dans l'historique"), receipt["history"]["eventHash"]),
    ]


def _declared_rows(receipt: dict) -> list[tuple[str, str]]:
    """Where a consent the sender declared was obtained, and which file proves it."""
    declared = receipt["declaration"]
    evidence = declared.get("evidence")
    sources = {"contrat": _("Contrat de bail ou mandat"), "assemblee_generale": _("Assemblée générale"),
               "courrier_signe": _("Courrier signé"), "autre": _("Autre")}
    return [
        (_("Obtenu le"), declared["obtainedOn"]),
        (_("Source"), sources.get(declared["source"], declared["source"])),
        (_("Référence"), declared["reference"] or "—"),
        (_("Justificatif"), f"{evidence['filename']}, SHA-256 {evidence['sha256']}" if evidence else "—"),
        (_("Déclaré le"), _when(receipt["consentTimestamp"])),
        (_("Empreinte de l'événement dans l'historique"), receipt["history"]["eventHash"]),
    ]


def _end_notice(proof: Proof) -> str | None:
    """What ended this receipt's consent since it was signed: a revocation, or a later choice of paper letters."""
    revoked = first_event_after(proof.consent_id, proof.event_id, "revoked")
    if revoked is not None:
        return _("RÉVOQUÉ le %(date)s, à la demande du destinataire du %(asked)s : ce consentement ne vaut plus depuis.",
                 date=format_datetime(revoked.created_at, "long"), asked=revoked.data.get("requested_on"))
    paper = first_event_after(proof.consent_id, proof.event_id, "paper_chosen")
    if paper is not None:
        return _("COURRIER PAPIER CHOISI le %(date)s par le destinataire : ce reçu ne vaut plus depuis.",
                 date=format_datetime(paper.created_at, "long"))
    return None


def render_certificate(proof: Proof) -> bytes:
    """Render the French PDF certificate of a proof."""
    receipt = json.loads(proof.receipt)
    with force_locale("fr"):
        pdf = FPDF(format="A4")
        pdf.set_title(f"Certificat de consentement {proof.uuid}")
        pdf.set_author("Consentement LRE")
        pdf.set_creation_date(proof.created_at)
        pdf.add_font("DejaVu", "", _font("DejaVuSans"))
        pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold"))
        pdf.set_margins(18, 16, 18)
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 16)
        title = (_("Reçu de date certaine : choix du courrier recommandé papier") if "paperChoice" in receipt else
                 _("Certificat de consentement à la réception de lettres recommandées électroniques"))
        pdf.multi_cell(140, 8, title, new_x="LMARGIN", new_y="NEXT")
        _qr(pdf, receipt["verificationUrl"], 160, 14, 32)
        pdf.ln(3)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(140, 4.5, _("Ce certificat reprend le reçu signé n° %(id)s. Scannez le code pour le vérifier : "
                                   "%(url)s", id=proof.uuid, url=receipt["verificationUrl"]),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        ended = _end_notice(proof)
        if ended is not None:
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, ended, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        notice = (receipt.get("declaration") or receipt.get("paperChoice") or {}).get("notice")
        if notice:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(0, 5, notice, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        for label, value in _rows(receipt, proof):
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(58, 5.5, label)
            pdf.set_font("DejaVu", "", 9)
            pdf.multi_cell(0, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, _(
            "Le reçu (fichier JSON canonique) est signé en Ed25519 ; les clés publiques, actuelles et passées, sont "
            "publiées sur %(keys)s. Le jeton d'horodatage (.tsr) se vérifie avec : openssl ts -verify -data "
            "recu.json -in recu.tsr -CAfile tsa-ca.pem. Le dossier de preuve contient ces fichiers et l'historique "
            "chaîné du consentement.", keys=public_url("public.keys")))
        return bytes(pdf.output())
