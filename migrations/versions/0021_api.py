"""API keys, idempotent replies, webhook endpoints, messages and deliveries

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_key',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id', name='fk_api_key_sender_id_sender'), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('user.id', name='fk_api_key_created_by_id_user'), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('prefix', sa.String(16), nullable=False),
        sa.Column('key_hash', sa.String(64), nullable=False),
        sa.Column('scopes', sa.String(40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime()),
        sa.Column('revoked_at', sa.DateTime()),
        sa.UniqueConstraint('key_hash', name='uq_api_key_key_hash'),
    )
    op.create_index('ix_api_key_sender_id', 'api_key', ['sender_id'])
    op.create_table(
        'idempotent_reply',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('api_key_id', sa.Integer(), sa.ForeignKey('api_key.id', name='fk_idempotent_reply_api_key_id_api_key'), nullable=False),
        sa.Column('idempotency_key', sa.String(200), nullable=False),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('api_key_id', 'idempotency_key', name='uq_idempotent_reply_key'),
    )
    op.create_table(
        'webhook_endpoint',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id', name='fk_webhook_endpoint_sender_id_sender'), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('failing_since', sa.DateTime()),
        sa.Column('disabled_at', sa.DateTime()),
    )
    op.create_index('ix_webhook_endpoint_sender_id', 'webhook_endpoint', ['sender_id'])
    op.create_table(
        'webhook_message',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id', name='fk_webhook_message_sender_id_sender'), nullable=False),
        sa.Column('consent_id', sa.Integer(), sa.ForeignKey('consent.id', name='fk_webhook_message_consent_id_consent')),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('consent_event.id', name='fk_webhook_message_event_id_consent_event')),
        sa.Column('type', sa.String(60), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_webhook_message_consent_seq', 'webhook_message', ['consent_id', 'sequence'])
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('webhook_message.id', name='fk_webhook_delivery_message_id_webhook_message'), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), sa.ForeignKey('webhook_endpoint.id', name='fk_webhook_delivery_endpoint_id_webhook_endpoint'), nullable=False),
        sa.Column('consent_id', sa.Integer()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime()),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime()),
        sa.Column('last_attempt_at', sa.DateTime()),
        sa.Column('response_code', sa.Integer()),
        sa.Column('last_error', sa.String(300)),
        sa.Column('delivered_at', sa.DateTime()),
        sa.Column('failed_at', sa.DateTime()),
        sa.UniqueConstraint('message_id', 'endpoint_id', name='uq_webhook_delivery_message'),
    )
    op.create_index('ix_webhook_delivery_endpoint', 'webhook_delivery', ['endpoint_id', 'id'])
    op.create_index('ix_webhook_delivery_consent_id', 'webhook_delivery', ['consent_id'])
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['next_attempt_at'],
                    postgresql_where=sa.text('next_attempt_at IS NOT NULL'),
                    sqlite_where=sa.text('next_attempt_at IS NOT NULL'))


def downgrade():
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_message')
    op.drop_table('webhook_endpoint')
    op.drop_table('idempotent_reply')
    op.drop_table('api_key')
