"""the manager's acceptance funnel: a sender's requests by creation time

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL answers the grouped counts from the index alone (an index-only scan) with the steps included.
    op.create_index('ix_consent_request_sender_created', 'consent_request', ['sender_id', 'created_at'], unique=False,
                    postgresql_include=['channel', 'sent_at', 'opened_at', 'answer'])
    op.create_index('ix_link_confirmation_link_created', 'link_confirmation', ['link_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_link_confirmation_link_created', table_name='link_confirmation')
    op.drop_index('ix_consent_request_sender_created', table_name='consent_request')
