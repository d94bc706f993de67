"""billing: one charge per consent obtained, monthly statements, the statement numbering counter

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

APPEND_ONLY = "{table} is append-only: corrections are credit notes, never edits or deletions"
TABLES = ("charge", "statement")


def upgrade():
    op.create_table(
        'charge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('consent_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('proof_uuid', sa.String(length=36), nullable=False),
        sa.Column('amount_ht', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_charge_sender_id_sender')),
        sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], name=op.f('fk_charge_consent_id_consent')),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_charge_contact_id_contact')),
        sa.ForeignKeyConstraint(['request_id'], ['consent_request.id'],
                                name=op.f('fk_charge_request_id_consent_request')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_charge')),
        sa.UniqueConstraint('request_id', name=op.f('uq_charge_request_id')),
    )
    op.create_index('ix_charge_sender_created', 'charge', ['sender_id', 'created_at', 'amount_ht'], unique=False)
    op.create_index(op.f('ix_charge_consent_id'), 'charge', ['consent_id'], unique=False)
    op.create_table(
        'statement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('consents', sa.Integer(), nullable=False),
        sa.Column('total_ht', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('vat_rate', sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column('vat', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('total_ttc', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['sender_id'], ['sender.id'], name=op.f('fk_statement_sender_id_sender')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement')),
        sa.UniqueConstraint('number', name=op.f('uq_statement_number')),
        sa.UniqueConstraint('sender_id', 'month', name='uq_statement_sender_month'),
    )
    op.create_table(
        'statement_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_counter')),
    )
    _append_only()


def _append_only():
    """Make the database itself refuse any UPDATE or DELETE of a charge or a statement."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        message = APPEND_ONLY.format(table=table)
        if postgres:
            op.execute(f"""
                CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql;
            """)
            op.execute(f"""
                CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
            """)
        else:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"""
                    CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{message}'); END;
                """)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_table('statement_counter')
    op.drop_table('statement')
    op.drop_index(op.f('ix_charge_consent_id'), table_name='charge')
    op.drop_index('ix_charge_sender_created', table_name='charge')
    op.drop_table('charge')
