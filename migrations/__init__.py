"""Alembic migrations of the event store (installed as
``panko_clone.migrations``)."""
