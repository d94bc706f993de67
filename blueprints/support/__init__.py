"""The support console: staff (not senders) search every sender's consents, revoke on request, and leave a trail."""
from blueprints.support import admin, console, routes  # noqa: F401  (they register their views on bp)
from blueprints.support.session import bp

__all__ = ["bp"]
