"""single-use account links: password reset (one hour), kept only as their SHA-256

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_token_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash')),
    )
    op.create_index(op.f('ix_account_token_user_id'), 'account_token', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_account_token_user_id'), table_name='account_token')
    op.drop_table('account_token')
