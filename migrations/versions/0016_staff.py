"""support staff apart from senders: accounts with TOTP, recovery codes, an append-only audit log; contact email
prefix index for searches across senders

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

APPEND_ONLY = "staff_audit is append-only: the audit log is never updated or deleted"


def upgrade():
    op.create_table(
        'staff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=True),
        sa.Column('totp_secret', sa.Text(), nullable=True),
        sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
        sa.Column('setup_token_hash', sa.String(length=64), nullable=True),
        sa.Column('setup_expires_at', sa.DateTime(), nullable=True),
        sa.Column('activated_at', sa.DateTime(), nullable=True),
        sa.Column('disabled_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('session_version', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_staff_created_by_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
        sa.UniqueConstraint('email', name=op.f('uq_staff_email')),
        sa.UniqueConstraint('setup_token_hash', name=op.f('uq_staff_setup_token_hash')),
    )
    op.create_table(
        'staff_recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_recovery_code_staff_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_code')),
    )
    op.create_index(op.f('ix_staff_recovery_code_staff_id'), 'staff_recovery_code', ['staff_id'], unique=False)
    op.create_table(
        'staff_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=300), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=True),
        sa.Column('consent_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_audit_staff_id_staff')),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_staff_audit_sender_id_sender')),
        sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_staff_audit_consent_id_consent')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit')),
    )
    op.create_index(op.f('ix_staff_audit_action'), 'staff_audit', ['action'], unique=False)
    op.create_index(op.f('ix_staff_audit_created_at'), 'staff_audit', ['created_at'], unique=False)
    op.create_index(op.f('ix_staff_audit_sender_id'), 'staff_audit', ['sender_id'], unique=False)
    op.create_index('ix_staff_audit_staff_created', 'staff_audit', ['staff_id', 'created_at'], unique=False)
    _protect_audit()
    # Support searches an address across every sender by its beginning: an index on the email alone, which
    # PostgreSQL can use for LIKE 'prefix%' whatever the database's collation.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_contact_email_prefix ON contact (email varchar_pattern_ops)")
    else:
        op.create_index('ix_contact_email_prefix', 'contact', ['email'], unique=False)


def _protect_audit():
    """Make the database itself refuse any UPDATE or DELETE of audit rows, as for the consent history."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION staff_audit_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql;
        """)
        op.execute("""
            CREATE TRIGGER staff_audit_no_update BEFORE UPDATE OR DELETE ON staff_audit
            FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();
        """)
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER staff_audit_no_{action.lower()} BEFORE {action} ON staff_audit
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END;
            """)


def downgrade():
    op.drop_index('ix_contact_email_prefix', table_name='contact')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS staff_audit_no_update ON staff_audit")
        op.execute("DROP FUNCTION IF EXISTS staff_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS staff_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS staff_audit_no_delete")
    op.drop_index('ix_staff_audit_staff_created', table_name='staff_audit')
    op.drop_index(op.f('ix_staff_audit_sender_id'), table_name='staff_audit')
    op.drop_index(op.f('ix_staff_audit_created_at'), table_name='staff_audit')
    op.drop_index(op.f('ix_staff_audit_action'), table_name='staff_audit')
    op.drop_table('staff_audit')
    op.drop_index(op.f('ix_staff_recovery_code_staff_id'), table_name='staff_recovery_code')
    op.drop_table('staff_recovery_code')
    op.drop_table('staff')
