"""Command-line tools for evidence: walk the hash chains, and verify a receipt or proof folder offline."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from consents.checkpoints import CheckpointReport, verify_checkpoints
from consents.events import verify_chains
from consents.verification import MAX_UPLOAD, UploadError, read_upload, verify_bundle


def register(app: Flask) -> None:
    """Attach the `evidence` and `proofs` command groups to `app`."""
    evidence = click.Group("evidence", help="Historique chaîné des consentements.")
    proofs = click.Group("proofs", help="Reçus signés des consentements.")
    app.cli.add_command(evidence)
    app.cli.add_command(proofs)

    @evidence.command("verify")
    def evidence_verify():
        """Check every checkpoint against its token, walk every chain, and name what broke; exit 1 when anything did."""
        checkpoints = verify_checkpoints()
        for issue in checkpoints.issues:
            click.echo(f"POINT DE CONTRÔLE ALTÉRÉ : {issue.describe()}")
        _describe_reference(checkpoints)
        report = verify_chains(checkpoints.heads)
        if report.breaks:
            first = report.breaks[0]
            click.echo(f"CHAÎNE ROMPUE : consentement {first.consent_id}, {first.describe()}")
            for extra in report.breaks[1:]:
                click.echo(f"  aussi : consentement {extra.consent_id}, {extra.describe()}")
        if report.breaks or checkpoints.issues:
            raise SystemExit(1)
        click.echo(f"Historique intact : {report.consents} consentements, {report.events} événements vérifiés.")

    def _describe_reference(checkpoints: CheckpointReport) -> None:
        """Say which checkpoint the chains are checked against, and how far it can be trusted."""
        reference = checkpoints.reference
        if reference is None:
            click.echo(f"Aucun point de contrôle horodaté valide ({checkpoints.checked} enregistrés) : "
                       "seules les chaînes elles-mêmes sont vérifiées.")
            return
        click.echo(f"Points de contrôle : {checkpoints.checked}, dont {checkpoints.timestamped} horodatés ; "
                   f"référence : n° {reference.id} du {reference.timestamped_at:%Y-%m-%dT%H:%M:%SZ}.")
        if not checkpoints.signatures_checked:
            click.echo("  signature des jetons non vérifiée : TSA_CA_FILE n'est pas configuré.")
        if checkpoints.stale():
            click.echo("  ATTENTION : le dernier point de contrôle valide a plus de deux jours ; "
                       "des points de contrôle plus récents ont pu être supprimés.")

    @proofs.command("verify")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def proofs_verify(files: tuple[Path, ...]):
        """Check a certificate PDF, a receipt (with its .sig.json and .tsr) or a proof folder zip, without the network."""
        try:
            uploads = []
            for path in files:
                if path.stat().st_size > MAX_UPLOAD:
                    raise UploadError("too_large")
                uploads.append((path.name, path.read_bytes()))
            verdict = verify_bundle(read_upload(uploads))
        except UploadError as exc:
            messages = {"too_large": "fichier trop volumineux (plus de 1 Mio)",
                        "malformed": "fichier illisible : ni certificat PDF, ni reçu JSON, ni dossier ZIP intact",
                        "no_receipt": "aucun reçu de consentement dans ces fichiers",
                        "pdf_without_receipt": "ce PDF ne contient pas de reçu signé (certificat imprimé ou réenregistré ?)",
                        "unsupported": "type de fichier non pris en charge : certificat .pdf, dossier .zip ou reçu .json"}
            click.echo(f"ERREUR : {messages[exc.code]}")
            raise SystemExit(2)
        words = {"valid": "valide", "invalid": "INVALIDE", "absent": "non fourni", "unknown_key": "INVALIDE (clé inconnue)",
                 "unverifiable": "non vérifiable (aucune autorité configurée)"}
        click.echo(f"Reçu : {verdict.receipt['consentReceiptID']}")
        click.echo(f"SHA-256 : {verdict.receipt_sha256}")
        click.echo(f"Signature : {words[verdict.signature]}")
        stamp = words[verdict.timestamp]
        if verdict.timestamp_at:
            stamp += f" ({verdict.timestamp_at:%Y-%m-%dT%H:%M:%SZ})"
        if verdict.timestamp_demo:
            stamp += " — autorité de DÉMONSTRATION, non qualifiée : ne prouve rien à un tiers"
        click.echo(f"Horodatage : {stamp}")
        click.echo(f"Dans l'historique : {'oui' if verdict.in_history else 'NON'}")
        raise SystemExit(0 if verdict.ok else 1)
