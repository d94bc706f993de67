"""share links, their confirmations and visits

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'share_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('slug', sa.String(length=24), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('scope_lre', sa.Boolean(), nullable=False),
        sa.Column('scope_avis', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_share_link_created_by_id_user')),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_share_link_sender_id_sender')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_share_link')),
        sa.UniqueConstraint('slug', name=op.f('uq_share_link_slug')),
    )
    op.create_index(op.f('ix_share_link_sender_id'), 'share_link', ['sender_id'], unique=False)
    op.create_table(
        'link_confirmation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['link_id'], ['share_link.id'], name=op.f('fk_link_confirmation_link_id_share_link')),
        sa.ForeignKeyConstraint(['request_id'], ['consent_request.id'],
                                name=op.f('fk_link_confirmation_request_id_consent_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_confirmation')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_link_confirmation_token_hash')),
    )
    op.create_index(op.f('ix_link_confirmation_link_id'), 'link_confirmation', ['link_id'], unique=False)
    op.create_table(
        'link_visit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['share_link.id'], name=op.f('fk_link_visit_link_id_share_link')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_visit')),
        sa.UniqueConstraint('link_id', 'day', name='uq_link_visit_link_day'),
    )
    with op.batch_alter_table('consent_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consent_request_link_id'), ['link_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consent_request_link_id_share_link'), 'share_link',
                                    ['link_id'], ['id'])


def downgrade():
    with op.batch_alter_table('consent_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_request_link_id_share_link'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consent_request_link_id'))
        batch_op.drop_column('link_id')
    op.drop_table('link_visit')
    op.drop_index(op.f('ix_link_confirmation_link_id'), table_name='link_confirmation')
    op.drop_table('link_confirmation')
    op.drop_index(op.f('ix_share_link_sender_id'), table_name='share_link')
    op.drop_table('share_link')
