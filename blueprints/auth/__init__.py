"""Sign-up, login, logout and the language switch."""
from blueprints.auth.routes import bp

__all__ = ["bp"]
