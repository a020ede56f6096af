"""Alembic environment: migrations run on a connection the driver passes.

``panko-clone-dbsync`` (through the SQLAlchemy driver's ``upgrade``) puts
an open connection in ``config.attributes['connection']``; there is no
``alembic.ini`` URL to keep in sync with ``[database] connection``.
"""

from alembic import context


def run_migrations_online():
    connection = context.config.attributes['connection']
    context.configure(connection=connection, target_metadata=None,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
