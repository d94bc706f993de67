"""Pages for anyone, without an account: verify a receipt, read the published signing keys."""
from blueprints.public.routes import bp

__all__ = ["bp"]
