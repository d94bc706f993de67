"""The SQLAlchemy handle shared by the domain models."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, text

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


def skip_disk_wait() -> None:
    """On PostgreSQL, let the current transaction's commit return before it reaches the disk.

    Only for writes a crash may lose harmlessly (they are redone or are statistics): the database stays
    consistent, the last commits are simply undone.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
