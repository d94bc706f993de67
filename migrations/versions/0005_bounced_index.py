"""partial index for the manager's «adresse invalide» count

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_consent_sender_bounced', 'consent', ['sender_id'], unique=False,
                    postgresql_where=sa.text('bounced_at IS NOT NULL'), sqlite_where=sa.text('bounced_at IS NOT NULL'))


def downgrade():
    op.drop_index('ix_consent_sender_bounced', table_name='consent')
