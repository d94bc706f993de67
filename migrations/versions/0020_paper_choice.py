"""the paper-or-electronic choice (LRO): a request may offer paper, and a paper choice keeps its postal address

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('consent_request', sa.Column('paper_offered', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.create_table(
        'postal_address',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consent_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('line1', sa.String(length=200), nullable=False),
        sa.Column('line2', sa.String(length=200), nullable=False),
        sa.Column('postcode', sa.String(length=5), nullable=False),
        sa.Column('town', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['consent_id'], ['consent.id']),
        sa.ForeignKeyConstraint(['event_id'], ['consent_event.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index('ix_postal_address_consent_latest', 'postal_address', ['consent_id', 'id'])


def downgrade():
    op.drop_index('ix_postal_address_consent_latest', table_name='postal_address')
    op.drop_table('postal_address')
    with op.batch_alter_table('consent_request') as batch:
        batch.drop_column('paper_offered')
