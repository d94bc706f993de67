"""The staff session, apart from the senders' flask-login session: who is signed in, for how long, with what role."""
from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consents import clock
from consents.staff import IDLE_TIMEOUT, load_staff_session, session_id
from consents.staff_models import Staff

bp = Blueprint("support", __name__, url_prefix="/support")
OPEN_ENDPOINTS = {"support.login", "support.setup"}  # reached before signing in
STAFF_KEY, SEEN_KEY = "staff", "staff_seen"


def start_staff_session(staff: Staff) -> None:
    """Sign a staff member in: a fresh session, holding no sender's login."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[STAFF_KEY] = session_id(staff)
    session[SEEN_KEY] = clock.now().isoformat()


def end_staff_session() -> None:
    """Forget the staff member in this browser (the language stays)."""
    session.pop(STAFF_KEY, None)
    session.pop(SEEN_KEY, None)


def _idle_too_long() -> bool:
    """True when the last request of the staff session is more than 30 minutes old."""
    try:
        seen = datetime.fromisoformat(session.get(SEEN_KEY, ""))
    except ValueError:
        return True
    return clock.now() - seen > IDLE_TIMEOUT


@bp.before_request
def guard():
    """A sender's session never opens the console (404); a staff session ends after 30 idle minutes."""
    if current_user.is_authenticated:
        abort(404)
    g.staff = load_staff_session(session.get(STAFF_KEY)) if STAFF_KEY in session else None
    if g.staff is not None and _idle_too_long():
        end_staff_session()
        g.staff = None
        flash(_("Session fermée après 30 minutes d'inactivité : reconnectez-vous."), "error")
    elif g.staff is not None:
        session[SEEN_KEY] = clock.now().isoformat()
    if g.staff is None and request.endpoint not in OPEN_ENDPOINTS:
        return redirect(url_for("support.login"))
    return None


@bp.after_request
def no_store(response):
    """Nothing the console shows is kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def inject_staff():
    """Templates know the signed-in staff member (None elsewhere)."""
    return {"staff": g.get("staff")}


def admin_only(view):
    """A view only admins reach; for support staff it does not exist (404)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.staff.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped
