"""the manager's acceptance funnel: a sender's requests by creation time

Revision ID: 0022
Revises: 0015
"""
from alembic import op

revision = '0022'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_consent_request_sender_created', 'consent_request', ['sender_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_consent_request_sender_created', table_name='consent_request')
