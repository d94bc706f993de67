"""L100: indexes for the manager's «Envoi LRE possible» and «Envoi avis possible»: contacts by kind, consents given

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

SCOPES = ('scope_lre', 'scope_avis')


def upgrade():
    # With the id, the «Envoi LRE possible» subquery reads this index alone.
    op.create_index('ix_contact_sender_kind', 'contact', ['sender_id', 'kind', 'id'], unique=False)
    for scope in SCOPES:
        given = sa.text(f"status = 'accepted' AND {scope} AND withdrawal_requested_at IS NULL")
        op.create_index(f'ix_consent_sender_{scope}_given', 'consent', ['sender_id', 'changed_at', 'id'], unique=False,
                        postgresql_where=given, sqlite_where=given)


def downgrade():
    for scope in SCOPES:
        op.drop_index(f'ix_consent_sender_{scope}_given', table_name='consent')
    op.drop_index('ix_contact_sender_kind', table_name='contact')
