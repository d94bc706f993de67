"""The sender's share links: create, switch on or off, embedding kit, QR codes and numbers."""
from __future__ import annotations

import io

import segno
from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints import wants_partial
from blueprints.sender.charts import daily_chart
from blueprints.sender.forms import LinkForm
from consents.links import public_url
from consents.link_models import ShareLink
from consents.rules import RuleError
from blueprints.sender.routes import bp, own
from consents.sharelinks import create_link, link_numbers, link_series, set_active


@bp.route("/gestionnaire/liens", methods=["GET", "POST"])
@login_required
def links():
    """List the sender's share links with their numbers, and create a new one."""
    form = LinkForm()
    if form.validate_on_submit():
        try:
            link = create_link(current_user, form.label.data, lre=form.lre, avis=form.avis)
        except RuleError as exc:
            form.label.errors = [str(exc.message)]
        else:
            return redirect(url_for("sender.link_detail", link_id=link.id))
    rows = [(link, link_numbers(link)) for link in
            ShareLink.query.filter_by(sender_id=current_user.sender_id).order_by(ShareLink.id.desc())]
    return render_template("sender/links.html", form=form, rows=rows), 200 if not form.errors else 422


@bp.route("/gestionnaire/liens/<id:link_id>")
@login_required
def link_detail(link_id: int):
    """One link's embedding kit, numbers and chart."""
    link = own(ShareLink, link_id)
    url = public_url("recipient.share_landing", slug=link.slug)
    return render_template("sender/link.html", link=link, url=url, numbers=link_numbers(link),
                           chart=daily_chart(link_series(link)),
                           email_button=render_template("sender/snippets/email_button.html", link=link, url=url),
                           web_snippet=render_template("sender/snippets/web_snippet.html", link=link, url=url))


@bp.route("/gestionnaire/liens/<id:link_id>/activation", methods=["POST"])
@login_required
def toggle_link(link_id: int):
    """Switch a link on or off."""
    link = own(ShareLink, link_id)
    set_active(link, not link.active)
    if wants_partial():
        return render_template("sender/partial/link.html", link=link)
    return redirect(url_for("sender.link_detail", link_id=link.id))


@bp.route("/gestionnaire/liens/<id:link_id>/qr.<fmt>")
@login_required
def link_qr(link_id: int, fmt: str):
    """The link's QR code, as PNG or SVG, to print on paper mail and posters (?apercu=1 shows it inline)."""
    if fmt not in ("png", "svg"):
        abort(404)
    link = own(ShareLink, link_id)
    buffer = io.BytesIO()
    segno.make(public_url("recipient.share_landing", slug=link.slug), error="m").save(
        buffer, kind=fmt, scale=10 if fmt == "png" else 4, border=2, light="#fff")
    mimetype = "image/png" if fmt == "png" else "image/svg+xml"
    filename = _("qr-lien-%(slug)s", slug=link.slug) + "." + fmt
    disposition = "inline" if request.args.get("apercu") else f'attachment; filename="{filename}"'
    return Response(buffer.getvalue(), mimetype=mimetype, headers={"Content-Disposition": disposition})
