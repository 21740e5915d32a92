"""A build records what it did to the corpus's entries (changes.summary: added, changed, removed with their
headwords), so that GET /changes can tell an entry a build added from one it printed otherwise. Builds made
before keep a null summary (kb.presence reads them as well as it can).

Revision ID: 0002
Revises: 0001
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made before migrations gained every nullable column already (kb.store.migrate._unversioned)
    if "summary" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("changes")}:
        with op.batch_alter_table('changes', schema=None) as batch_op:
            batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_column('summary')
