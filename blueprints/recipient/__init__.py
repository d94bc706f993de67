"""The recipient's public pages: read who asks and why, accept or refuse; share-link pages; withdrawal."""
from blueprints.recipient import links  # noqa: F401  (registers the share-link views on bp)
from blueprints.recipient.routes import bp

__all__ = ["bp"]
