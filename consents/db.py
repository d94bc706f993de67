"""The SQLAlchemy handle shared by the domain models."""
import json

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, MetaData, Text, bindparam, cast, func, insert, select, text
from sqlalchemy.engine import Row
from sqlalchemy.dialects.postgresql import ARRAY

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


def read_one(statement, **params) -> Row | None:
    """The first row of one read-only statement, on an autocommit connection of its own.

    The API's hot path reads this way, with statements built once at import: no BEGIN and no ROLLBACK travel to the
    server, and no ORM objects nor SQL expressions are built per call.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(statement, params).first()


def skip_disk_wait() -> None:
    """On PostgreSQL, let the current transaction's commit return before it reaches the disk.

    Only for writes a crash may lose harmlessly (they are redone or are statistics): the database stays
    consistent, the last commits are simply undone.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))


def insert_rows(table, rows: list[dict]) -> list[int]:
    """Insert many rows of one table (in the current transaction) and return their ids, in the rows' order.

    On PostgreSQL the rows travel as one array per column (`INSERT … SELECT FROM unnest(…)`): a thousand rows
    cost one short statement instead of a statement of a thousand rows that the driver must parse.
    """
    if not rows:
        return []
    if len(rows) == 1 or db.session.get_bind().dialect.name != "postgresql":
        return list(db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                       rows).scalars())
    names = list(rows[0])
    json_columns = {n for n in names if isinstance(table.c[n].type, JSON)}
    arrays = func.unnest(*(
        bindparam(None, [json.dumps(row[n], ensure_ascii=False) if n in json_columns else row[n] for row in rows],
                  type_=ARRAY(Text if n in json_columns else table.c[n].type))
        for n in names
    )).table_valued(*names, with_ordinality="position").render_derived(name="new_rows")
    columns = [cast(arrays.c[n], JSON) if n in json_columns else arrays.c[n] for n in names]
    # Ids are drawn in the order the ordered SELECT gives the rows: sorting them restores the caller's order.
    return sorted(db.session.execute(
        insert(table).from_select(names, select(*columns).order_by(arrays.c.position)).returning(table.c.id)
    ).scalars())
