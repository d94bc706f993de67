"""Development-only pages: the outbox of emails the app has written."""
from blueprints.dev.routes import bp

__all__ = ["bp"]
