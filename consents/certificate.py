"""The PDF certificate of a proof, in French: every receipt field in plain words, the text accepted, a QR code,
and the signed receipt itself attached, so the PDF alone can be verified."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import segno
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from fpdf import FPDF

from consents.events import first_event_after
from consents.evidence_models import Proof
from consents.links import public_url
from consents.pdf_fonts import BASE, describe, setup_fonts
from consents.postal_models import envelope_lines
from consents.proof_parts import signed_files
from consents.texts import consent_text
from consents.timestamps import is_demo_token

KINDS = {"particulier": "Particulier", "professionnel": "Professionnel", "administration": "Administration"}
CHANNELS = {"email": "Demande par email", "lien": "Lien de consentement partagé", "lro": "Choix LRO",
            "manuel": "Ajout manuel"}
LABEL_WIDTH = 58  # mm: the longest label takes two lines


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
        if is_demo_token(proof.tsr):
            stamp += " — " + _("par l'autorité de DÉMONSTRATION, non qualifiée")
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


def accepted_text(receipt: dict) -> str | None:
    """The exact text the recipient accepted, rebuilt from its version and checked against the signed SHA-256."""
    text, principal, scope = receipt.get("consentText") or {}, receipt["piiPrincipal"], receipt["scope"]
    try:
        rebuilt = consent_text(receipt["piiControllers"][0]["piiController"], principal["email"], "lre" in scope,
                               "avis" in scope, text.get("language") or "fr", text.get("version"))
    except KeyError:  # a version this code no longer knows
        return None
    return rebuilt.body if rebuilt.sha256 == text.get("sha256") else None


def _end_notice(proof: Proof) -> str | None:
    """What ended this receipt's consent since it was signed: a revocation (by support, with its reason, or on the
    sender's record), or a later choice of paper letters."""
    revoked = first_event_after(proof.consent_id, proof.event_id, "revoked")
    if revoked is not None:
        date, asked = format_datetime(revoked.created_at, "long"), revoked.data.get("requested_on")
        if revoked.data.get("by") == "support":
            return _("RÉVOQUÉ par le support le %(date)s, à la demande du destinataire du %(asked)s (motif : "
                     "%(reason)s) : ce consentement ne vaut plus depuis.", date=date, asked=asked,
                     reason=revoked.data.get("reason"))
        return _("RÉVOQUÉ le %(date)s, à la demande du destinataire du %(asked)s : ce consentement "
                 "ne vaut plus depuis.", date=date, asked=asked)
    paper = first_event_after(proof.consent_id, proof.event_id, "paper_chosen")
    if paper is not None:
        return _("COURRIER PAPIER CHOISI le %(date)s par le destinataire : ce reçu ne vaut plus depuis.",
                 date=format_datetime(paper.created_at, "long"))
    return None


def _blocks(receipt: dict, proof: Proof) -> list[tuple[str, object]]:
    """What the certificate prints, in order, as (kind, content): known before any font is chosen."""
    paper = "paperChoice" in receipt
    title = (_("Reçu de date certaine : choix du courrier recommandé papier") if paper else
             _("Certificat de consentement à la réception de lettres recommandées électroniques"))
    blocks = [("title", title),
              ("intro", _("Ce certificat reprend le reçu signé n° %(id)s. Scannez le code pour le vérifier : "
                          "%(url)s", id=proof.uuid, url=receipt["verificationUrl"]))]
    ended = _end_notice(proof)
    if ended is not None:
        blocks.append(("alert", ended))
    if is_demo_token(proof.tsr):
        blocks.append(("alert", _("Horodatage de démonstration : délivré par l'autorité locale de « make run », qui "
                                  "n'est pas une autorité qualifiée ; il ne prouve rien à un tiers.")))
    notice = (receipt.get("declaration") or receipt.get("paperChoice") or {}).get("notice")
    if notice:
        blocks.append(("notice", notice))
    blocks.append(("rows", _rows(receipt, proof)))
    if "declaration" not in receipt and not paper:
        text = accepted_text(receipt)
        blocks.append(("heading", _("Texte accepté par le destinataire")))
        blocks.append(("quote", text or _("Le texte de la version %(v)s n'a pas pu être reconstitué ici ; son "
                                          "empreinte SHA-256 figure ci-dessus.", v=receipt["consentText"]["version"])))
    blocks.append(("small", _(
        "Le reçu (fichier JSON canonique) est signé en Ed25519 ; les clés publiques, actuelles et passées, sont "
        "publiées sur %(keys)s. Le reçu, sa signature et son jeton d'horodatage sont joints à ce PDF (recu.json, "
        "recu.sig.json, recu.tsr) : déposez ce PDF sur %(verify)s pour le vérifier. Le jeton se vérifie aussi avec : "
        "openssl ts -verify -data recu.json -in recu.tsr -CAfile tsa-ca.pem. Le dossier de preuve contient ces "
        "fichiers et l'historique chaîné du consentement.", keys=public_url("public.keys"),
        verify=public_url("public.verify"))))
    return blocks


def _printed_text(blocks: list[tuple[str, object]]) -> str:
    """Every character the blocks print, to choose the fonts."""
    return "".join(" ".join(f"{label} {value}" for label, value in content) if kind == "rows" else str(content)
                   for kind, content in blocks)


def _mark_missing(blocks: list[tuple[str, object]], missing: list[str]) -> list[tuple[str, object]]:
    """The blocks with each character no font can print drawn as a box, so the reader sees where one is missing."""
    boxes = str.maketrans({char: "□" for char in missing})
    return [(kind, [(label.translate(boxes), str(value).translate(boxes)) for label, value in content]
             if kind == "rows" else str(content).translate(boxes)) for kind, content in blocks]


def _draw(pdf: FPDF, kind: str, content) -> None:
    """Print one block."""
    if kind == "title":
        pdf.set_font(BASE, "B", 16)
        pdf.multi_cell(140, 8, content, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(3)
    elif kind == "rows":
        for label, value in content:
            # Two columns: a long label wraps in its own column instead of running over its value.
            top = pdf.get_y()
            pdf.set_font(BASE, "B", 9)
            pdf.multi_cell(LABEL_WIDTH, 4.4, label, new_x="LMARGIN", new_y="NEXT", align="L")
            below_label = pdf.get_y()
            pdf.set_xy(pdf.l_margin + LABEL_WIDTH, top)
            pdf.set_font(BASE, "", 9)
            pdf.multi_cell(0, 4.4, str(value), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.set_y(max(below_label, pdf.get_y()) + 1.2)
    else:
        style, size, height = {"intro": ("", 9, 4.5), "alert": ("B", 11, 6), "notice": ("B", 9, 5),
                               "heading": ("B", 11, 6), "quote": ("", 10, 5), "small": ("", 8, 4)}[kind]
        if kind == "heading":
            pdf.ln(3)
        pdf.set_font(BASE, style, size)
        pdf.multi_cell(140 if kind == "intro" else 0, height, content, new_x="LMARGIN", new_y="NEXT",
                       border=1 if kind == "quote" else 0, padding=2 if kind == "quote" else 0, align="L")
        pdf.ln(2)


def render_certificate(proof: Proof) -> bytes:
    """Render the French PDF certificate of a proof, with its signed receipt, signature and token attached."""
    receipt = json.loads(proof.receipt)
    with force_locale("fr"):
        pdf = FPDF(format="A4")
        pdf.set_title(f"Certificat de consentement {proof.uuid}")
        pdf.set_author("Consentement LRE")
        pdf.set_creation_date(proof.created_at)
        blocks = _blocks(receipt, proof)
        missing = setup_fonts(pdf, _printed_text(blocks))
        if missing:
            # Never a silent gap: the reader learns which characters this machine lacked, and where they survive.
            blocks = _mark_missing(blocks, missing)
            blocks.insert(2, ("alert", _("Caractères qu'aucune police de cette machine ne sait imprimer, remplacés "
                                         "par un carré : %(chars)s. Le reçu signé joint à ce PDF (recu.json) les "
                                         "contient tels quels.", chars=describe(missing))))
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=12)  # the whole certificate fits one A4 page
        pdf.add_page()
        _qr(pdf, receipt["verificationUrl"], 160, 14, 32)
        for kind, content in blocks:
            _draw(pdf, kind, content)
        signed_at = proof.created_at.replace(tzinfo=timezone.utc)
        for name, content in signed_files(proof).items():
            pdf.embed_file(bytes=content, basename=name, modification_date=signed_at,
                           desc=_("Pièce du reçu signé n° %(id)s", id=proof.uuid))
        return bytes(pdf.output())
