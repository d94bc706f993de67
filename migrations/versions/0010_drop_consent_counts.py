"""drop the trigger-kept consent_count deltas: the manager counts with a grouped query on its index

Revision ID: 0010
Revises: 0009
"""
import importlib.util
from pathlib import Path

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _counts_migration():
    """Migration 0009, which created the table and its triggers (a file name that cannot be imported by name)."""
    spec = importlib.util.spec_from_file_location("m0009", Path(__file__).with_name("0009_consent_counts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    _counts_migration().downgrade()


def downgrade():
    # The counts are derived data: going back recreates the table and its triggers and counts again.
    _counts_migration().upgrade()
