"""Admins only: the staff list (add, disable) and the audit log with its filters and export."""
from __future__ import annotations

from datetime import date

from flask import (
    Response, abort, current_app, flash, g, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import gettext as _

from blueprints import client_ip
from blueprints.support.forms import ActionForm, StaffCreateForm
from blueprints.support.session import admin_only, bp
from consents import clock
from consents.db import db
from consents.links import public_url
from consents.rules import RuleError
from consents.staff_models import Staff
from consents.support import add_staff, disable_staff, record_access
from consents.support_queries import AuditFilter, audit_lines, audit_page

AUDIT_ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "setup", "search", "view_recipient", "view_sender",
                 "revoke", "resend", "clear_bounce", "staff_create", "staff_disable", "audit_read", "audit_export")


@bp.route("/equipe", methods=["GET", "POST"])
@admin_only
def team():
    """The staff list; adding a member shows their single-use setup link once."""
    form = StaffCreateForm()
    setup_link = None
    if form.validate_on_submit():
        try:
            staff, token = add_staff(g.staff, form.email.data, form.role.data, client_ip())
        except RuleError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc.message))
        else:
            setup_link = public_url("support.setup", token=token)
            flash(_("Compte créé pour %(email)s : transmettez-lui le lien d'activation ci-dessous.",
                    email=staff.email), "success")
            form = StaffCreateForm(formdata=None)
    members = Staff.query.order_by(Staff.disabled_at.is_not(None), Staff.email).all()
    return render_template("support/team.html", form=form, members=members, setup_link=setup_link,
                           action=ActionForm()), 422 if form.errors else 200


@bp.route("/equipe/<id:staff_id>/desactiver", methods=["POST"])
@admin_only
def disable(staff_id: int):
    """Disable a staff account: its sessions end at once."""
    member = db.session.get(Staff, staff_id)
    if member is None:
        abort(404)
    try:
        disable_staff(g.staff, member, client_ip())
    except RuleError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Compte de %(email)s désactivé.", email=member.email), "success")
    return redirect(url_for("support.team"))


def _audit_filter() -> AuditFilter:
    """The audit log's filter from the query string; anything unreadable is ignored."""
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    staff_id = request.args.get("membre", "")
    action = request.args.get("action", "")
    return AuditFilter(staff_id=int(staff_id) if staff_id.isdigit() and len(staff_id) < 10 else None,
                       action=action if action in AUDIT_ACTIONS else "",
                       target=request.args.get("cible", "")[:254].strip(), since=day("du"), until=day("au"))


@bp.route("/journal")
@admin_only
def audit_log():
    """The audit log, newest first, with filters."""
    audit_filter = _audit_filter()
    try:
        page = min(max(1, int(request.args.get("page", "1"))), 10**6)
    except ValueError:
        page = 1
    record_access(g.staff, "audit_read", ip=client_ip(), data={"filter": repr(audit_filter)})
    results = audit_page(audit_filter, page)
    return render_template("support/audit.html", results=results, audit_filter=audit_filter, actions=AUDIT_ACTIONS,
                       members=Staff.query.order_by(Staff.email).all(),
                           query={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/journal.csv")
@admin_only
def audit_export():
    """The filtered audit log as a CSV file, streamed."""
    audit_filter = _audit_filter()
    record_access(g.staff, "audit_export", ip=client_ip(), data={"filter": repr(audit_filter)})
    lines = audit_lines(audit_filter, time_zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])
    filename = f"journal-support-{clock.now():%Y-%m-%d}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
