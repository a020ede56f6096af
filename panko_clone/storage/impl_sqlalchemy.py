"""SQLAlchemy storage driver: SQLite, PostgreSQL and MySQL/MariaDB.

Every query is shaped so that its cost follows the size of the page, not
the size of the store: visibility and ordering come from composite
indexes on ``event``, paging is keyset (never OFFSET), the traits of a
page are fetched in one round trip for that page's ids only, and
``record_events`` writes each batch with a handful of multi-row INSERTs.
"""

import datetime
import os
import urllib.parse

from alembic import command as alembic_command
from alembic import config as alembic_config
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log
import sqlalchemy as sa
from sqlalchemy import orm

from panko_clone import storage
from panko_clone.storage import base
from panko_clone.storage import models as api_models
from panko_clone.storage.sqlalchemy import models
from panko_clone.storage.sqlalchemy import statistics

LOG = log.getLogger(__name__)

Trait = api_models.Trait

TRAIT_MODELS = {
    Trait.TEXT_TYPE: models.TraitText,
    Trait.INT_TYPE: models.TraitInt,
    Trait.FLOAT_TYPE: models.TraitFloat,
    Trait.DATETIME_TYPE: models.TraitDatetime,
}

FILTER_TYPES = {
    'string': Trait.TEXT_TYPE,
    'integer': Trait.INT_TYPE,
    'float': Trait.FLOAT_TYPE,
    'datetime': Trait.DATETIME_TYPE,
}

OPERATORS = {
    'lt': lambda col, val: col < val,
    'le': lambda col, val: col <= val,
    'eq': lambda col, val: col == val,
    'ne': lambda col, val: col != val,
    'ge': lambda col, val: col >= val,
    'gt': lambda col, val: col > val,
}

# Columns of event that mirror a text trait of the same name.
MIRRORED_TRAITS = ('project_id', 'user_id')

# Ids per DELETE statement: keeps each transaction and its locks short.
DELETE_CHUNK = 1000

# Plain schemes -> the DBAPI drivers panko_clone installs.
BARE_SCHEME_DRIVERS = {
    'mysql': 'mysql+pymysql',
    'postgresql': 'postgresql+psycopg2',
}

# Driver options of ours that oslo.db's engine facade does not know.
OWN_DATABASE_OPTIONS = ('event_time_to_live', 'events_delete_batch_size')



def migrations_location():
    """Where Alembic finds the revisions, installed or in a checkout."""
    import panko_clone.migrations as migrations_pkg
    return os.path.dirname(os.path.abspath(migrations_pkg.__file__))


def _sqlite_path(url):
    """The file of an SQLite URL, or None for an in-memory database."""
    parsed = sa.engine.make_url(url)
    if parsed.database and parsed.database != ':memory:':
        return parsed.database
    return None


class Connection(base.Connection):
    """Event storage on a relational database."""

    CAPABILITIES = base.update_nested(base.BASE_CAPABILITIES, {
        'events': {'create': True, 'delete': True,
                   'statistics': base.STATISTICS_CAPABILITIES},
    })
    STORAGE_CAPABILITIES = base.update_nested(
        base.BASE_STORAGE_CAPABILITIES,
        {'storage': {'production_ready': True}})

    def __init__(self, url, conf):
        super().__init__(url, conf)
        path = _sqlite_path(url)
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)),
                        exist_ok=True)
        options = dict(conf.database.items())
        for name in OWN_DATABASE_OPTIONS:
            options.pop(name, None)
        # Retrying at start-up is get_connection_from_config's job.
        options['max_retries'] = 0
        options['connection'] = self._normalize_url(url)
        self._facade = enginefacade.transaction_context()
        self._facade.configure(**options)
        try:
            self.engine = self._facade.writer.get_engine()
            # Fail now, inside the caller's retry loop, if the server is
            # down.
            with self.engine.connect() as conn:
                conn.execute(sa.text('SELECT 1'))
        except (db_exc.DBConnectionError, sa.exc.OperationalError) as err:
            raise storage.StorageUnavailable(str(err)) from err
        self._sessions = orm.sessionmaker(self.engine,
                                          expire_on_commit=False)

    @staticmethod
    def _normalize_url(url):
        """Bare schemes mean the drivers OpenStack has always used."""
        scheme = urllib.parse.urlparse(url).scheme
        if scheme in BARE_SCHEME_DRIVERS:
            return BARE_SCHEME_DRIVERS[scheme] + url[len(scheme):]
        return url

    # -- schema ------------------------------------------------------------

    def upgrade(self):
        cfg = alembic_config.Config()
        cfg.set_main_option('script_location', migrations_location())
        with self.engine.begin() as conn:
            cfg.attributes['connection'] = conn
            alembic_command.upgrade(cfg, 'head')

    def clear(self):
        """Delete every row; the schema stays, so tests restart cheaply."""
        inspector = sa.inspect(self.engine)
        existing = set(inspector.get_table_names())
        with self._sessions.begin() as session:
            for table in reversed(models.Base.metadata.sorted_tables):
                if table.name in existing:
                    session.execute(sa.delete(table))

    # -- writes ------------------------------------------------------------

    def _event_type_ids(self, session, names):
        """Ids of event types by name, creating the missing ones."""
        found = dict(session.execute(
            sa.select(models.EventType.desc, models.EventType.id)
            .where(models.EventType.desc.in_(names))).all())
        for name in sorted(set(names) - set(found)):
            try:
                with session.begin_nested():
                    session.execute(sa.insert(models.EventType)
                                    .values(desc=name))
            except (db_exc.DBDuplicateEntry, sa.exc.IntegrityError):
                # Another writer created it first: use theirs.
                pass
            found[name] = session.execute(
                sa.select(models.EventType.id)
                .where(models.EventType.desc == name)).scalar_one()
        return found

    def record_events(self, events):
        for attempt in range(5):
            try:
                return self._record_once(events)
            except (db_exc.DBDuplicateEntry, db_exc.DBDeadlock,
                    db_exc.DBReferenceError):
                # A concurrent writer stored some of these ids between
                # our duplicate check and our INSERT (the next pass sees
                # them as duplicates), or the expirer dropped an event
                # type we had just looked up (the next pass recreates it).
                LOG.debug('concurrent insert of the same events; retrying')
        return self._record_once(events)

    def _record_once(self, events):
        unique = {}
        in_call_duplicates = []
        for event in events:
            if event.message_id in unique:
                in_call_duplicates.append(event.message_id)
            else:
                unique[event.message_id] = event
        if not unique:
            return base.Recorded([], in_call_duplicates)
        with self._sessions.begin() as session:
            stored = set()
            ids = list(unique)
            for start in range(0, len(ids), DELETE_CHUNK):
                chunk = ids[start:start + DELETE_CHUNK]
                stored.update(session.execute(
                    sa.select(models.Event.message_id)
                    .where(models.Event.message_id.in_(chunk))).scalars())
            fresh = [e for mid, e in unique.items() if mid not in stored]
            if not fresh:
                return base.Recorded([], [m for m in ids if m in stored]
                                     + in_call_duplicates)
            type_ids = self._event_type_ids(
                session, list({e.event_type for e in fresh}))
            rows = [self._event_row(e, type_ids) for e in fresh]
            result = session.execute(
                sa.insert(models.Event).returning(
                    models.Event.id, models.Event.message_id,
                    sort_by_parameter_order=True),
                rows)
            event_ids = dict((mid, eid) for eid, mid in result.all())
            trait_rows = {dtype: [] for dtype in TRAIT_MODELS}
            for event in fresh:
                for trait in self._unique_traits(event.traits):
                    trait_rows[trait.dtype].append({
                        'event_id': event_ids[event.message_id],
                        'key': trait.name,
                        'value': Trait.convert_value(trait.dtype,
                                                     trait.value),
                    })
            for dtype, trait_model in TRAIT_MODELS.items():
                if trait_rows[dtype]:
                    session.execute(sa.insert(trait_model),
                                    trait_rows[dtype])
        created = [e.message_id for e in fresh]
        duplicates = [m for m in ids if m in stored] + in_call_duplicates
        return base.Recorded(created, duplicates)

    @staticmethod
    def _unique_traits(traits):
        """One trait per (name, type): the table's key; the last wins."""
        by_key = {}
        for trait in traits or ():
            if trait.dtype in TRAIT_MODELS:
                by_key[(trait.name, trait.dtype)] = trait
        return by_key.values()

    @staticmethod
    def _event_row(event, type_ids):
        row = {
            'message_id': event.message_id,
            'generated': api_models.normalize_datetime(event.generated),
            'raw': event.raw if event.raw is not None else {},
            'event_type_id': type_ids[event.event_type],
            'project_id': None,
            'user_id': None,
        }
        for trait in event.traits or ():
            if (trait.name in MIRRORED_TRAITS
                    and trait.dtype == Trait.TEXT_TYPE):
                row[trait.name] = Trait.convert_value(trait.dtype,
                                                      trait.value)
        return row

    # -- reads -------------------------------------------------------------

    @staticmethod
    def _trait_condition(trait_filter):
        """The SQL condition for one ``traits_filter`` entry."""
        key = trait_filter['key']
        op = trait_filter.get('op') or 'eq'
        compare = OPERATORS[op]
        for type_name, dtype in FILTER_TYPES.items():
            if type_name in trait_filter:
                value = trait_filter[type_name]
                break
        else:
            return sa.false()
        if dtype == Trait.DATETIME_TYPE:
            value = api_models.normalize_datetime(value)
        if (key in MIRRORED_TRAITS and dtype == Trait.TEXT_TYPE
                and op == 'eq'):
            return getattr(models.Event, key) == value
        table = TRAIT_MODELS[dtype]
        return models.Event.id.in_(
            sa.select(table.event_id).where(
                table.key == key, compare(table.value, value)))

    def _filter_conditions(self, event_filter):
        """WHERE conditions of an EventFilter, all to be ANDed."""
        event = models.Event
        conditions = []
        if event_filter.message_id is not None:
            conditions.append(event.message_id == event_filter.message_id)
        if event_filter.event_type is not None:
            conditions.append(event.event_type_id == (
                sa.select(models.EventType.id)
                .where(models.EventType.desc == event_filter.event_type)
                .scalar_subquery()))
        if event_filter.start_timestamp is not None:
            conditions.append(event.generated >= api_models
                              .normalize_datetime(
                                  event_filter.start_timestamp))
        if event_filter.end_timestamp is not None:
            conditions.append(event.generated <= api_models
                              .normalize_datetime(
                                  event_filter.end_timestamp))
        for trait_filter in event_filter.traits_filter or ():
            conditions.append(self._trait_condition(trait_filter))
        if event_filter.admin_proj:
            conditions.append(sa.or_(
                event.project_id == event_filter.admin_proj,
                event.project_id.is_(None)))
        return conditions

    @staticmethod
    def _after_marker(sort, marker_row):
        """Keyset condition: rows strictly after the marker in ``sort``.

        Written as an OR of prefixes (a = x AND b > y ...) rather than a
        row-value comparison so mixed directions work and MySQL uses the
        index.
        """
        clauses = []
        for i, (key, direction) in enumerate(sort):
            column = getattr(models.Event, key)
            value = marker_row[key]
            equal_prefix = [getattr(models.Event, k) == marker_row[k]
                            for k, _ in sort[:i]]
            beyond = column > value if direction == 'asc' else column < value
            clauses.append(sa.and_(*equal_prefix, beyond))
        return sa.or_(*clauses)

    def get_events(self, event_filter, pagination=None):
        pagination = pagination or {}
        sort = base.normalize_sort(pagination.get('sort'))
        event = models.Event
        conditions = self._filter_conditions(event_filter)
        with self._sessions() as session:
            marker = pagination.get('marker')
            if marker:
                marker_row = session.execute(
                    sa.select(event.generated, event.message_id)
                    .where(event.message_id == marker, *conditions)
                ).mappings().first()
                if marker_row is None:
                    raise storage.InvalidMarker(
                        'Marker %s not found.' % marker)
                conditions.append(self._after_marker(sort, marker_row))
            order = [getattr(event, key).asc() if direction == 'asc'
                     else getattr(event, key).desc()
                     for key, direction in sort]
            query = (sa.select(event.id, event.message_id, event.generated,
                               event.raw, models.EventType.desc)
                     .join(models.EventType,
                           models.EventType.id == event.event_type_id)
                     .where(*conditions).order_by(*order))
            if pagination.get('limit'):
                query = query.limit(pagination['limit'])
            rows = session.execute(query).all()
            traits = self._traits_of(session, [row.id for row in rows])
        return [api_models.Event(
            message_id=row.message_id,
            event_type=row.desc,
            generated=row.generated,
            traits=sorted(traits.get(row.id, ()), key=lambda t: t.name),
            raw=row.raw if row.raw is not None else {})
            for row in rows]

    def _traits_of(self, session, event_ids):
        """All traits of ``event_ids``, in one UNION ALL round trip.

        PostgreSQL needs the NULL placeholders typed to unify the branches;
        MySQL cannot CAST to some of those types, and needs no cast.
        """
        if not event_ids:
            return {}
        typed_nulls = self.engine.dialect.name == 'postgresql'
        selects = []
        for dtype, table in TRAIT_MODELS.items():
            columns = [table.event_id, table.key,
                       sa.literal_column(str(dtype)).label('dtype')]
            for other_dtype, other in TRAIT_MODELS.items():
                label = 'v%d' % other_dtype
                if other_dtype == dtype:
                    columns.append(table.value.label(label))
                else:
                    placeholder = sa.null()
                    if typed_nulls:
                        placeholder = sa.cast(placeholder, other.value.type)
                    columns.append(placeholder.label(label))
            selects.append(sa.select(*columns)
                           .where(table.event_id.in_(event_ids)))
        union = sa.union_all(*selects).subquery()
        rows = session.execute(sa.select(
            union.c.event_id, union.c.key, union.c.dtype,
            *[sa.type_coerce(union.c['v%d' % d], t.value.type)
              for d, t in TRAIT_MODELS.items()])).all()
        traits = {}
        for row in rows:
            dtype = row.dtype
            value = row[3 + list(TRAIT_MODELS).index(dtype)]
            traits.setdefault(row.event_id, []).append(
                Trait(row.key, dtype, value))
        return traits

    def get_event_types(self):
        with self._sessions() as session:
            return list(session.execute(
                sa.select(models.EventType.desc)
                .order_by(models.EventType.desc)).scalars())

    def _type_id(self, session, event_type):
        return session.execute(
            sa.select(models.EventType.id)
            .where(models.EventType.desc == event_type)).scalar()

    def get_trait_types(self, event_type):
        with self._sessions() as session:
            type_id = self._type_id(session, event_type)
            if type_id is None:
                return []
            found = []
            for dtype, table in TRAIT_MODELS.items():
                names = session.execute(
                    sa.select(table.key).distinct()
                    .join(models.Event, models.Event.id == table.event_id)
                    .where(models.Event.event_type_id == type_id)
                    .order_by(table.key)).scalars()
                found.extend({'name': name, 'data_type': dtype}
                             for name in names)
        return found

    def get_traits(self, event_type, trait_type=None):
        with self._sessions() as session:
            type_id = self._type_id(session, event_type)
            if type_id is None:
                return []
            found = []
            for dtype, table in TRAIT_MODELS.items():
                query = (sa.select(table.key, table.value,
                                   models.Event.generated,
                                   models.Event.message_id)
                         .join(models.Event,
                               models.Event.id == table.event_id)
                         .where(models.Event.event_type_id == type_id))
                if trait_type is not None:
                    query = query.where(table.key == trait_type)
                found.extend((row.generated, row.message_id, row.key,
                              Trait(row.key, dtype, row.value))
                             for row in session.execute(query))
        found.sort(key=lambda item: item[:3])
        return [item[3] for item in found]

    # -- deletes -----------------------------------------------------------

    def _delete_ids(self, session, ids):
        for table in TRAIT_MODELS.values():
            session.execute(sa.delete(table)
                            .where(table.event_id.in_(ids)))
        session.execute(sa.delete(models.Event)
                        .where(models.Event.id.in_(ids)))

    def _delete_where(self, conditions, max_count=None, order=None):
        """Delete matching events in short chunked transactions."""
        removed = 0
        while True:
            chunk = DELETE_CHUNK
            if max_count:
                chunk = min(chunk, max_count - removed)
                if chunk <= 0:
                    break
            with self._sessions.begin() as session:
                query = sa.select(models.Event.id).where(*conditions)
                if order is not None:
                    query = query.order_by(order)
                ids = list(session.execute(query.limit(chunk)).scalars())
                if ids:
                    self._delete_ids(session, ids)
            removed += len(ids)
            if len(ids) < chunk:
                break
        if removed:
            self._delete_unused_event_types()
        return removed

    def _delete_unused_event_types(self):
        """Forget types whose last event is gone, as Panko did."""
        used = sa.select(models.Event.id).where(
            models.Event.event_type_id == models.EventType.id)
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.EventType)
                            .where(~used.exists()))

    def clear_expired_data(self, ttl, max_count=None):
        cutoff = (datetime.datetime.now(datetime.timezone.utc)
                  .replace(tzinfo=None) - datetime.timedelta(seconds=ttl))
        removed = self._delete_where([models.Event.generated < cutoff],
                                     max_count=max_count,
                                     order=models.Event.generated)
        LOG.info('%d events are removed from database', removed)
        return removed

    def delete_events(self, event_filter):
        return self._delete_where(self._filter_conditions(event_filter))

    # -- statistics --------------------------------------------------------

    def get_event_statistics(self, event_filter, period=None, groupby=(),
                             aggregates=()):
        """Computed in the database; see sqlalchemy/statistics.py."""
        with self._sessions() as session:
            return statistics.event_statistics(
                session, self._filter_conditions(event_filter),
                event_filter, period, groupby, aggregates)
