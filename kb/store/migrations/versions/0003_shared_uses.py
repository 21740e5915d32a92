"""A passage's uses that share their spans, citing and ambiguity (every sense of a name several reports define)
are one row: the first use's entry and order, and the others' in ``passage_uses.others`` (JSON, a list of
[entry, ord]). A province's reports define the same names again and again, and each mention of one was a row for
each of its senses. Rows written before stay as they were (others null: a use of its own).

Revision ID: 0003
Revises: 0002
Created: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made before migrations gained every nullable column already (kb.store.migrate._unversioned)
    if "others" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("passage_uses")}:
        with op.batch_alter_table('passage_uses', schema=None) as batch_op:
            batch_op.add_column(sa.Column('others', sa.Text(), nullable=True))


def downgrade() -> None:
    """Each shared row made one row a use again, then the column dropped."""
    bind = op.get_bind()
    table = sa.table('passage_uses', sa.column('passage'), sa.column('entry'), sa.column('cited'),
                     sa.column('spans'), sa.column('ord'), sa.column('ambiguous'), sa.column('others'))
    shared = list(bind.execute(sa.select(table).where(table.c.others.is_not(None))))
    rows = [{"passage": r.passage, "entry": entry, "cited": r.cited, "spans": r.spans, "ord": order,
             "ambiguous": r.ambiguous, "others": None}
            for r in shared for entry, order in json.loads(r.others)]
    if rows:
        bind.execute(sa.insert(table), rows)
    with op.batch_alter_table('passage_uses', schema=None) as batch_op:
        batch_op.drop_column('others')
