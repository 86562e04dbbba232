"""Alembic's environment for the central record: the target is ``central.db.metadata``.

Run by ``central.migrations.upgrade_to_head`` (with the caller's connection, inside its
transaction) and by ``python -m central.migrations`` (with a URL).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from central.db import metadata, normalize_url


def _configure(**kwargs) -> None:
    dialect = kwargs["connection"].dialect.name if "connection" in kwargs else kwargs["url"].split(":")[0]
    context.configure(target_metadata=metadata, compare_type=True,
                      render_as_batch=dialect.startswith("sqlite"), **kwargs)  # SQLite alters by rebuilding


def run_offline() -> None:
    _configure(url=normalize_url(context.config.get_main_option("sqlalchemy.url")), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:  # the caller's connection and transaction: it commits
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(normalize_url(context.config.get_main_option("sqlalchemy.url")))
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
