"""the manager's search index, scoped to one sender (PostgreSQL only)

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # One sender's search must not recheck rows of every other sender: lead the trigram index with sender_id.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute("CREATE INDEX ix_consent_sender_search_trgm ON consent USING gin (sender_id, search_text gin_trgm_ops)")
        op.execute("DROP INDEX IF EXISTS ix_consent_search_trgm")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_consent_search_trgm ON consent USING gin (search_text gin_trgm_ops)")
        op.execute("DROP INDEX IF EXISTS ix_consent_sender_search_trgm")
