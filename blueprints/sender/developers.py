"""The sender's «Développeurs» page: API keys, webhook endpoints, their delivery logs, «Tester» and «Renvoyer»."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.sender.forms import ApiKeyForm, EndpointForm
from blueprints.sender.routes import bp, own
from consents.api_keys import create_key, revoke_key, sender_keys
from consents.api_models import ApiKey
from consents.outcome import Outcome
from consents.rules import RuleError
from consents.webhook_models import WebhookDelivery, WebhookEndpoint
from consents.webhook_deliveries import resend
from consents.webhooks import TYPE_LABELS, create_endpoint, endpoint_log, queue_test, set_active
from jobs.dispatch import dispatch


def _endpoint_form(submitted: bool = False) -> EndpointForm:
    """The endpoint form with the events offered today, all of them ticked until the sender chooses."""
    form = EndpointForm(prefix="webhook", **({} if submitted else {"formdata": None}))
    form.events.choices = [(kind, str(label)) for kind, label in TYPE_LABELS.items()]
    if not submitted:
        form.events.data = list(TYPE_LABELS)
    return form


def _page(key_form=None, endpoint_form=None, new_key=None, new_secret=None, status=200):
    """The page with both lists and both forms; a new key or secret is shown this once."""
    return render_template(
        "sender/developers.html", keys=sender_keys(current_user.sender_id),
        key_form=key_form or ApiKeyForm(prefix="cle", formdata=None),
        endpoint_form=endpoint_form or _endpoint_form(), new_key=new_key, new_secret=new_secret, labels=TYPE_LABELS,
        endpoints=WebhookEndpoint.query.filter_by(sender_id=current_user.sender_id).order_by(WebhookEndpoint.id).all(),
    ), status


@bp.route("/gestionnaire/developpeurs")
@login_required
def developers():
    """API keys and webhook endpoints."""
    return _page()


@bp.route("/gestionnaire/developpeurs/cles", methods=["POST"])
@login_required
def create_api_key():
    """Create a key and show it once."""
    form = ApiKeyForm(prefix="cle")
    if form.validate_on_submit():
        try:
            key, token = create_key(current_user, form.name.data, form.scopes.data or [])
        except RuleError as exc:
            form.scopes.errors = [str(exc.message)]
        else:
            return _page(new_key=(key, token), status=201)
    return _page(key_form=form, status=422)


@bp.route("/gestionnaire/developpeurs/cles/<id:key_id>/revoquer", methods=["POST"])
@login_required
def revoke_api_key(key_id: int):
    """Revoke a key: the software using it is refused from the next request."""
    key = own(ApiKey, key_id)
    revoke_key(key)
    flash(_("La clé « %(name)s » est révoquée.", name=key.name), "success")
    return redirect(url_for("sender.developers"))


@bp.route("/gestionnaire/developpeurs/webhooks", methods=["POST"])
@login_required
def create_webhook():
    """Register an endpoint and show its signing secret once."""
    form = _endpoint_form(submitted=True)
    if form.validate_on_submit():
        try:
            endpoint, secret = create_endpoint(current_user, form.url.data, form.events.data or [])
        except RuleError as exc:
            form.url.errors = [str(exc.message)]
        else:
            return _page(new_secret=(endpoint, secret), status=201)
    return _page(endpoint_form=form, status=422)


@bp.route("/gestionnaire/developpeurs/webhooks/<id:endpoint_id>")
@login_required
def webhook_detail(endpoint_id: int):
    """An endpoint's delivery log."""
    endpoint = own(WebhookEndpoint, endpoint_id)
    return render_template("sender/webhook.html", endpoint=endpoint, deliveries=endpoint_log(endpoint),
                           labels=TYPE_LABELS)


@bp.route("/gestionnaire/developpeurs/webhooks/<id:endpoint_id>/tester", methods=["POST"])
@login_required
def test_webhook(endpoint_id: int):
    """Send a «test» message to the endpoint."""
    endpoint = own(WebhookEndpoint, endpoint_id)
    dispatch(Outcome(delivery_ids=[queue_test(endpoint)]))
    flash(_("Message de test envoyé : son résultat s'affiche dans le journal."), "success")
    return redirect(url_for("sender.webhook_detail", endpoint_id=endpoint.id))


@bp.route("/gestionnaire/developpeurs/webhooks/<id:endpoint_id>/activation", methods=["POST"])
@login_required
def toggle_webhook(endpoint_id: int):
    """Switch an endpoint on or off."""
    endpoint = own(WebhookEndpoint, endpoint_id)
    set_active(endpoint, not endpoint.active)
    return redirect(url_for("sender.webhook_detail", endpoint_id=endpoint.id))


@bp.route("/gestionnaire/developpeurs/livraisons/<id:delivery_id>/renvoyer", methods=["POST"])
@login_required
def resend_webhook(delivery_id: int):
    """Send one delivery again, with the same webhook-id."""
    delivery = WebhookDelivery.query.join(WebhookEndpoint).filter(
        WebhookDelivery.id == delivery_id, WebhookEndpoint.sender_id == current_user.sender_id).first_or_404()
    dispatch(Outcome(delivery_ids=[resend(delivery)]))
    flash(_("Livraison renvoyée."), "success")
    return redirect(url_for("sender.webhook_detail", endpoint_id=delivery.endpoint_id))
