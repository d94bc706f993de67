"""drop the trigger-kept consent_count deltas: the manager counts with a grouped query on its index

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for action in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS consent_count_{action}" + (" ON consent" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS consent_count_apply()")
    op.drop_index(op.f('ix_consent_count_sender_id'), table_name='consent_count')
    op.drop_table('consent_count')


def downgrade():
    # The counts are derived data: going back recreates the table and triggers of 0009 and counts again.
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("m0009", Path(__file__).with_name("0009_consent_counts.py"))
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
