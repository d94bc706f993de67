"""Every Flask extension, created unbound and initialised by the app factory."""
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from consents.db import db

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
mail = Mail()
migrate = Migrate()

__all__ = ["babel", "csrf", "db", "htmx", "limiter", "login_manager", "mail", "migrate"]
