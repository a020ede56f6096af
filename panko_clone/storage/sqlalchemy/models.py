"""Tables of the event store.

The six tables are Panko 10's (so its databases are adopted in place);
``event`` gains ``project_id`` and ``user_id``, copies of the text traits
of those names, so that the visibility rules are answered from composite
indexes that also serve the ``generated`` order and keyset paging; each
trait row gains its event's ``generated`` for the same reason;
``event_trait_type`` summarises which trait names each event type has.
Panko's single-column indexes are gone where a composite index or a
primary key starts with the same columns.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from panko_clone.storage.sqlalchemy import types

TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB',
              'mysql_collate': 'utf8mb4_nopad_bin'}


class Base(orm.DeclarativeBase):
    pass


def text(length):
    """VARCHAR(length), compared by code point on every back end.

    MySQL's tables say so above; PostgreSQL's columns take the "C"
    collation (revision e5c1a7d3f920), whatever the database's own.
    """
    return sa.String(length).with_variant(
        sa.String(length, collation='C'), 'postgresql')


class EventType(Base):
    __tablename__ = 'event_type'
    __table_args__ = (TABLE_ARGS,)

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    desc: orm.Mapped[str | None] = orm.mapped_column(text(255),
                                                     unique=True)


class Event(Base):
    __tablename__ = 'event'
    __table_args__ = (
        sa.Index('ix_event_generated_message_id', 'generated', 'message_id'),
        sa.Index('ix_event_type_generated', 'event_type_id', 'generated',
                 'message_id'),
        sa.Index('ix_event_project_generated', 'project_id', 'generated',
                 'message_id'),
        sa.Index('ix_event_project_user_generated', 'project_id',
                 'user_id', 'generated', 'message_id'),
        # PostgreSQL only (index-only ordering of trait-filter matches).
        sa.Index('ix_event_id_generated', 'id', 'generated',
                 'message_id').ddl_if(dialect='postgresql'),
        TABLE_ARGS,
    )

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    message_id: orm.Mapped[str | None] = orm.mapped_column(text(50),
                                                           unique=True)
    generated: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        types.PreciseTimestamp())
    raw: orm.Mapped[dict | None] = orm.mapped_column(
        types.JSONEncodedDict())
    event_type_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey('event_type.id'))
    project_id: orm.Mapped[str | None] = orm.mapped_column(text(255))
    user_id: orm.Mapped[str | None] = orm.mapped_column(text(255))


def _trait_table(name, value_type, range_index=True):
    """Declare one of the four per-type trait tables.

    ``generated`` is the event's, copied so that a trait filter walks
    its matches in page order: ``eq`` on (key, value, generated), a
    range on (key, generated, value) where ``range_index`` is set.
    """
    indexes = [sa.Index('ix_%s_key_value_generated' % name,
                        'key', 'value', 'generated', 'event_id')]
    if range_index:
        indexes.append(sa.Index('ix_%s_key_generated_value' % name,
                                'key', 'generated', 'value', 'event_id'))
    attrs = {
        '__tablename__': name,
        # SQLite: the table is its primary key's B-tree (see revision
        # b7e4a19c3d52).
        '__table_args__': (*indexes, dict(TABLE_ARGS,
                                          sqlite_with_rowid=False)),
        'event_id': orm.mapped_column(
            sa.Integer, sa.ForeignKey('event.id'), primary_key=True),
        'key': orm.mapped_column(text(255), primary_key=True),
        'value': orm.mapped_column(value_type),
        'generated': orm.mapped_column(types.PreciseTimestamp()),
    }
    class_name = ''.join(p.capitalize() for p in name.split('_'))
    return type(class_name, (Base,), attrs)


TraitText = _trait_table('trait_text', text(255), range_index=False)
TraitInt = _trait_table('trait_int', sa.BigInteger)
TraitFloat = _trait_table('trait_float', sa.Float(53))
TraitDatetime = _trait_table('trait_datetime', types.PreciseTimestamp())


class EventTraitType(Base):
    """(event type, trait name, trait type) seen at least once.

    Written by ``record_events``; may keep rows whose last trait was
    deleted, so readers confirm each row against the trait tables.
    """

    __tablename__ = 'event_trait_type'
    __table_args__ = (TABLE_ARGS,)

    event_type_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, primary_key=True)
    dtype: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(text(255), primary_key=True)
