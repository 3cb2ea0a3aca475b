"""Alembic environment: runs on the connection handed over by data_access.db.upgrade_schema,
or on DATABASE_URL when called from the alembic command line."""
from alembic import context

from data_access.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from data_access.db import get_engine

        with get_engine().begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
