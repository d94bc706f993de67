"""partial index on expiry events, for the senders' daily digest

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_consent_event_expired_at', 'consent_event', ['created_at'], unique=False,
                    postgresql_where=sa.text("kind = 'expired'"), sqlite_where=sa.text("kind = 'expired'"))


def downgrade():
    op.drop_index('ix_consent_event_expired_at', table_name='consent_event')
