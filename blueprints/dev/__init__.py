"""Development-only pages: the outbox of emails the app has written."""
from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from blueprints.dev import routes  # noqa: E402,F401
