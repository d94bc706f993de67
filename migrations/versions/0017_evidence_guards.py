"""evidence guards: checkpoints append-only (their token added once), TRUNCATE of the history refused; an index
of the emails handed to SMTP whose history is not yet written

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

APPEND_ONLY = "checkpoint is append-only: only its timestamp token may be added, once"
# The one UPDATE a checkpoint allows: its token added where there was none, nothing else changed.
TOKEN_ADDED = ("OLD.tsr IS NULL AND NEW.tsr IS NOT NULL AND OLD.timestamped_at IS NULL AND NEW.id = OLD.id "
               "AND NEW.created_at = OLD.created_at AND NEW.heads = OLD.heads AND NEW.heads_sha256 = OLD.heads_sha256")


def upgrade():
    # A checkpoint's error was an UPDATE the guard below refuses; a failed timestamp stays in RQ's failed jobs.
    with op.batch_alter_table('checkpoint') as batch:
        batch.drop_column('timestamp_error')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION checkpoint_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND {TOKEN_ADDED} THEN RETURN NEW; END IF;
                RAISE EXCEPTION '{APPEND_ONLY}';
            END; $$ LANGUAGE plpgsql;
        """)
        op.execute("CREATE TRIGGER checkpoint_append_only BEFORE UPDATE OR DELETE ON checkpoint "
                   "FOR EACH ROW EXECUTE FUNCTION checkpoint_append_only()")
        op.execute("""
            CREATE FUNCTION evidence_no_truncate() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE is refused', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
        """)
        for table in ("consent_event", "checkpoint"):
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION evidence_no_truncate()")
    else:
        # SQLite has no TRUNCATE: a DELETE without WHERE fires the row trigger like any other.
        op.execute(f"CREATE TRIGGER checkpoint_no_update BEFORE UPDATE ON checkpoint WHEN NOT ({TOKEN_ADDED}) "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;")
        op.execute(f"CREATE TRIGGER checkpoint_no_delete BEFORE DELETE ON checkpoint "
                   f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;")
    op.create_index('ix_outbound_email_handed_off', 'outbound_email', ['id'],
                    postgresql_where=sa.text("sent_at IS NOT NULL AND claimed_at IS NOT NULL"),
                    sqlite_where=sa.text("sent_at IS NOT NULL AND claimed_at IS NOT NULL"))


def downgrade():
    op.drop_index('ix_outbound_email_handed_off', table_name='outbound_email')
    if op.get_bind().dialect.name == "postgresql":
        for table in ("consent_event", "checkpoint"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS evidence_no_truncate()")
        op.execute("DROP TRIGGER IF EXISTS checkpoint_append_only ON checkpoint")
        op.execute("DROP FUNCTION IF EXISTS checkpoint_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_update")
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_delete")
    with op.batch_alter_table('checkpoint') as batch:
        batch.add_column(sa.Column('timestamp_error', sa.String(length=500), nullable=True))
