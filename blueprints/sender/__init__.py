"""The sender's manager: ask for consents, follow their status, read a contact's history, share links."""
from blueprints.sender import billing, contacts, developers, funnel, imports, links, offline  # noqa: F401  (they register their views on bp)
from blueprints.sender.routes import bp

__all__ = ["bp"]
