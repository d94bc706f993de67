"""L100: index of a sender's contacts by kind, for the manager's «Envoi LRE possible» filter

Revision ID: 0021
Revises: 0015
"""
from alembic import op

revision = '0021'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_contact_sender_kind', 'contact', ['sender_id', 'kind'], unique=False)


def downgrade():
    op.drop_index('ix_contact_sender_kind', table_name='contact')
