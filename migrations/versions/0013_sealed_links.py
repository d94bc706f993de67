"""personal links sealed at rest: an outbox row keeps its link encrypted, its body only a marker

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbound_email', sa.Column('link_secret', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_email') as batch:
        batch.drop_column('link_secret')
