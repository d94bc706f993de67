"""The sender's manager: ask for consents, follow their status, read a contact's history, share links."""
from blueprints.sender import links  # noqa: F401  (registers the share-link views on bp)
from blueprints.sender.routes import bp

__all__ = ["bp"]
