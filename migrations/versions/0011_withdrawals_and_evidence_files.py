"""the consent's whole life: withdrawal requests waiting for the sender, evidence files, imported files

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

WAITING = "withdrawal_requested_at IS NOT NULL"


def upgrade():
    op.add_column('consent', sa.Column('withdrawal_requested_at', sa.DateTime(), nullable=True))
    op.create_index('ix_consent_sender_withdrawal', 'consent', ['sender_id'],
                    postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))
    op.create_table(
        'evidence_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('mimetype', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_evidence_file_sender_id_sender')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_evidence_file_uploaded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_file')),
    )
    op.create_index(op.f('ix_evidence_file_sender_id'), 'evidence_file', ['sender_id'], unique=False)
    op.create_table(
        'import_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('encoding', sa.String(length=20), nullable=False),
        sa.Column('separator', sa.String(length=1), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=True),
        sa.Column('options', sa.JSON(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('processed', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('skipped', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('rejected', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('result_key', sa.String(length=200), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_import_file_sender_id_sender')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_import_file_uploaded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_file')),
    )
    op.create_index(op.f('ix_import_file_sender_id'), 'import_file', ['sender_id'], unique=False)
    # A consent's latest proof and latest request, read per row by the export: an index that answers
    # «newest for this consent» directly, whatever the statistics say right after a large import.
    op.create_index('ix_proof_consent_latest', 'proof', ['consent_id', 'id'])
    op.create_index('ix_consent_request_consent_latest', 'consent_request', ['consent_id', 'id'])


def downgrade():
    op.drop_index('ix_consent_request_consent_latest', table_name='consent_request')
    op.drop_index('ix_proof_consent_latest', table_name='proof')
    op.drop_index(op.f('ix_import_file_sender_id'), table_name='import_file')
    op.drop_table('import_file')
    op.drop_index(op.f('ix_evidence_file_sender_id'), table_name='evidence_file')
    op.drop_table('evidence_file')
    op.drop_index('ix_consent_sender_withdrawal', table_name='consent')
    with op.batch_alter_table('consent') as batch:
        batch.drop_column('withdrawal_requested_at')
