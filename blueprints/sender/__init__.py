"""The sender's manager: ask for consents, follow their status, read a contact's history."""
from flask import Blueprint

bp = Blueprint("sender", __name__)

from blueprints.sender import links, routes  # noqa: E402,F401
