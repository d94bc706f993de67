"""per-sender consent counts by stored status, kept by triggers as append-only deltas for the manager

Revision ID: 0009
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

STATUSES = ("accepted", "refused", "pending", "revoked")


def upgrade():
    # Rows are deltas, summed per sender when read and merged by a job: writers only ever insert, so no
    # answer, ask or expiry batch waits for another one on a shared counter row.
    op.create_table(
        'consent_count',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        *(sa.Column(s, sa.Integer(), nullable=False, server_default='0') for s in STATUSES),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_consent_count_sender_id_sender')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_count')),
    )
    op.create_index(op.f('ix_consent_count_sender_id'), 'consent_count', ['sender_id'])
    # The triggers see every write to consent (ORM, bulk SQL of the jobs, seeding), so the counts cannot drift.
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()
    # Counted once the triggers exist, while writers wait (PostgreSQL's CREATE TRIGGER lock lasts until commit),
    # so no row is missed or counted twice.
    sums = ", ".join(f"sum(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in STATUSES)
    op.execute(f"INSERT INTO consent_count (sender_id, {', '.join(STATUSES)}) "
               f"SELECT sender_id, {sums} FROM consent GROUP BY sender_id")


def _postgres_delta(changes: str) -> str:
    """Insert the net change per sender of `changes` (rows of sender_id, status, n), skipping zero changes."""
    sums = ", ".join(f"coalesce(sum(n) FILTER (WHERE status = '{s}'), 0) AS {s}" for s in STATUSES)
    nonzero = " OR ".join(f"{s} <> 0" for s in STATUSES)
    return f"""
        INSERT INTO consent_count (sender_id, {', '.join(STATUSES)})
        SELECT * FROM (SELECT sender_id, {sums} FROM ({changes}) AS change GROUP BY sender_id) AS delta
        WHERE {nonzero};"""


def _postgres_triggers():
    """One trigger per statement with its transition tables: a bulk insert or update adds one row per sender."""
    added = "SELECT sender_id, status, 1 AS n FROM new_rows"
    removed = "SELECT sender_id, status, -1 AS n FROM old_rows"
    op.execute(f"""
        CREATE FUNCTION consent_count_apply() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN {_postgres_delta(added)}
            ELSIF TG_OP = 'DELETE' THEN {_postgres_delta(removed)}
            ELSE {_postgres_delta(added + " UNION ALL " + removed)}
            END IF;
            RETURN NULL;
        END; $$ LANGUAGE plpgsql;
    """)
    # Transition tables forbid a column list, so every UPDATE fires; a zero net change adds nothing.
    for action, tables in (("INSERT", "NEW TABLE AS new_rows"),
                           ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                           ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER consent_count_{action.lower()} AFTER {action} ON consent "
                   f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION consent_count_apply()")


def _sqlite_triggers():
    """Row triggers (SQLite has no statement triggers); an update only fires when the status or sender changes."""
    columns = f"sender_id, {', '.join(STATUSES)}"
    added = ", ".join(f"NEW.status = {s!r}" for s in STATUSES)
    removed = ", ".join(f"-(OLD.status = {s!r})" for s in STATUSES)
    add = f"INSERT INTO consent_count ({columns}) VALUES (NEW.sender_id, {added});"
    remove = f"INSERT INTO consent_count ({columns}) VALUES (OLD.sender_id, {removed});"
    op.execute(f"CREATE TRIGGER consent_count_insert AFTER INSERT ON consent BEGIN {add} END")
    op.execute("CREATE TRIGGER consent_count_update AFTER UPDATE OF status, sender_id ON consent "
               "WHEN OLD.status IS NOT NEW.status OR OLD.sender_id IS NOT NEW.sender_id "
               f"BEGIN {remove} {add} END")
    op.execute(f"CREATE TRIGGER consent_count_delete AFTER DELETE ON consent BEGIN {remove} END")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for action in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS consent_count_{action}" + (" ON consent" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS consent_count_apply()")
    op.drop_index(op.f('ix_consent_count_sender_id'), table_name='consent_count')
    op.drop_table('consent_count')
