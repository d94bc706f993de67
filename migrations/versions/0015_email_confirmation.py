"""sign-up confirms the email address before the account can be used; accounts made before count as confirmed

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
    op.execute('UPDATE "user" SET email_confirmed_at = created_at')


def downgrade():
    with op.batch_alter_table('user') as batch:
        batch.drop_column('email_confirmed_at')
