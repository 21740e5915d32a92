"""Alembic's environment for kb's store: run by kb.store.migrate on a connection it hands over (never from
alembic.ini). SQLite alters tables by copying them (batch mode); PostgreSQL alters them in place."""

from __future__ import annotations

from alembic import context

from kb.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
