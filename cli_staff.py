"""flask staff create: a support or admin account, and the single-use link that sets it up."""
from __future__ import annotations

import click
from flask import Flask

from consents.db import db
from consents.links import public_url
from consents.rules import RuleError, normalise_email
from consents.staff import create_staff, new_setup_token
from consents.staff_models import ROLES, Staff


def register(app: Flask) -> None:
    """Attach the staff commands to `app`."""
    staff = click.Group("staff", help="Support staff accounts (apart from senders).")
    app.cli.add_command(staff)

    @staff.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    def create(email: str, role: str):
        """Create a staff account and print its setup link (single use, valid 24 hours)."""
        try:
            member, token = create_staff(email, role)
        except RuleError as exc:
            raise click.ClickException(str(exc.message)) from None
        click.echo(f"Compte {member.role} créé pour {member.email}.")
        click.echo(f"Lien d'activation (usage unique, valable 24 heures) : {public_url('support.setup', token=token)}")

    @staff.command("reset")
    @click.argument("email")
    def reset(email: str):
        """Print a new setup link for an account that lost its authenticator (password and codes are set anew)."""
        try:
            member = Staff.query.filter_by(email=normalise_email(email)).first()
        except RuleError as exc:
            raise click.ClickException(str(exc.message)) from None
        if member is None:
            raise click.ClickException("Aucun compte de l'équipe à cette adresse.")
        member.totp_secret = None  # a new authenticator: the old one must stop working
        member.session_version += 1
        token = new_setup_token(member)
        db.session.commit()
        link = public_url("support.setup", token=token)
        click.echo(f"Nouveau lien d'activation (usage unique, valable 24 heures) : {link}")
