"""The JSON API for senders' own software, under /api/v1."""
from blueprints.api import asks, consents, openapi, verification  # noqa: F401  (they register their views on bp)
from blueprints.api.core import bp, http_problem

__all__ = ["bp", "http_problem"]
