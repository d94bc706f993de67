"""The recipient's public page: read who asks and why, accept or refuse."""
from flask import Blueprint

bp = Blueprint("recipient", __name__)

from blueprints.recipient import links, routes  # noqa: E402,F401
