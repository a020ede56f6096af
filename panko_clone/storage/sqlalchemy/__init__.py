"""SQLAlchemy schema of the event store."""
