"""The store as kb made it before migrations: the corpus, its derived rows, editors' overlay and history,
tokens, the revision log. A store made then (no version table) is stamped with this revision.

Revision ID: 0001
Revises:
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('revision', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('entry', sa.String(length=220), nullable=True),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('passages', sa.Text(), nullable=True),
    sa.Column('entries', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('revision')
    )
    op.create_table('documents',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('edits',
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('entry')
    )
    op.create_table('entry_related',
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('other', sa.String(length=220), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False)
    )
    with op.batch_alter_table('entry_related', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_related_entry'), ['entry'], unique=False)

    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('passage_uses',
    sa.Column('passage', sa.String(length=220), nullable=False),
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('cited', sa.Boolean(), nullable=False),
    sa.Column('spans', sa.Text(), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.Column('ambiguous', sa.Boolean(), nullable=True)
    )
    with op.batch_alter_table('passage_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passage_uses_passage'), ['passage'], unique=False)

    op.create_table('revisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kb_revision', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revisions_entry'), ['entry'], unique=False)

    op.create_table('tokens',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.Column('revoked', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('name'),
    sa.UniqueConstraint('digest')
    )
    op.create_table('document_warnings',
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document'], ['documents.id'], )
    )
    with op.batch_alter_table('document_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_warnings_document'), ['document'], unique=False)

    op.create_table('entries',
    sa.Column('id', sa.String(length=220), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('headword', sa.Text(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=True),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entries_document'), ['document'], unique=False)

    op.create_table('passages',
    sa.Column('id', sa.String(length=220), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.Column('section', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passages_document'), ['document'], unique=False)

    op.create_table('citations',
    sa.Column('passage', sa.String(length=220), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('entry', sa.String(length=220), nullable=True),
    sa.ForeignKeyConstraint(['entry'], ['entries.id'], ),
    sa.ForeignKeyConstraint(['passage'], ['passages.id'], )
    )
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citations_passage'), ['passage'], unique=False)

    op.create_table('components',
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('meaning', sa.Text(), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry'], ['entries.id'], )
    )
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_components_entry'), ['entry'], unique=False)

    op.create_table('labels',
    sa.Column('entry', sa.String(length=220), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry'], ['entries.id'], )
    )
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labels_entry'), ['entry'], unique=False)
        batch_op.create_index(batch_op.f('ix_labels_key'), ['key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labels_key'))
        batch_op.drop_index(batch_op.f('ix_labels_entry'))

    op.drop_table('labels')
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_components_entry'))

    op.drop_table('components')
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citations_passage'))

    op.drop_table('citations')
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passages_document'))

    op.drop_table('passages')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_document'))

    op.drop_table('entries')
    with op.batch_alter_table('document_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_warnings_document'))

    op.drop_table('document_warnings')
    op.drop_table('tokens')
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revisions_entry'))

    op.drop_table('revisions')
    with op.batch_alter_table('passage_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passage_uses_passage'))

    op.drop_table('passage_uses')
    op.drop_table('meta')
    with op.batch_alter_table('entry_related', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_related_entry'))

    op.drop_table('entry_related')
    op.drop_table('edits')
    op.drop_table('documents')
    op.drop_table('changes')
