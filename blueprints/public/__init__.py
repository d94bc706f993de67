"""Pages for anyone, without an account: the front page, FAQ and legal pages, the receipt verifier, the keys."""
from blueprints.public import pages  # noqa: F401  (it registers its views on bp)
from blueprints.public.routes import bp

__all__ = ["bp"]
