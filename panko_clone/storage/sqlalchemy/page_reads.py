"""Statements a listing runs on every page, built once per driver.

Building a ``select()`` costs tens of microseconds of Python and its
cache key as much again; a statement built once keeps its cache key, so
executing it again costs only the round trip and decoding the rows. The
page's ids are a bound parameter named ``ids``.
"""

import operator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# A traits row's event id and trait name: the order a page's traits are
# handed out in.
EVENT_THEN_NAME = operator.itemgetter(0, 1)


def json_ids(ids):
    """Integer ``ids`` as the text of a JSON array."""
    return '[%s]' % ','.join(['%d' % event_id for event_id in ids])


# How a statement binds a list of ids (see ids_bound).
ARRAY_IDS, JSON_IDS, EXPANDING_IDS = 'array', 'json', 'expanding'


def id_list_style(dialect_name, json_each=False):
    """How ``dialect_name`` binds a list of ids.

    ``json_each``: whether SQLite has the function (built in since
    3.38, and in most builds before).
    """
    if dialect_name == 'postgresql':
        return ARRAY_IDS
    if dialect_name == 'sqlite' and json_each:
        return JSON_IDS
    return EXPANDING_IDS


def ids_bound(style, column):
    """``column`` among the bound list ``ids``, bound as ``style`` says.

    With JSON_IDS the caller binds the text :func:`json_ids` makes.
    With ARRAY_IDS or JSON_IDS the statement's text is the same
    whatever the page's size: PostgreSQL takes the list as one array
    parameter (``= ANY``), SQLite as one JSON array that ``json_each``
    reads. An expanding ``IN`` (elsewhere) is written out anew by
    SQLAlchemy at every execution, a parameter per id: on SQLite, for a
    page's rows and its traits (four lists of 100), that took 0.2 ms of
    a 2.2 ms listing, and SQLite parsed the statement again each time.
    """
    if style == ARRAY_IDS:
        return column == sa.any_(sa.bindparam(
            'ids', type_=postgresql.ARRAY(sa.Integer)))
    if style == JSON_IDS:
        listed = sa.func.json_each(
            sa.bindparam('ids', type_=sa.String())).table_valued('value')
        return column.in_(sa.select(listed.c.value))
    return column.in_(sa.bindparam('ids', expanding=True))


def _trait_branches(dialect_name, trait_tables, lead, where):
    """One SELECT per trait table: ``lead(table)``, key, the values.

    A branch has a value column per trait type, in ``trait_tables``'
    order, named ``value_<n>``: its own table's value in its own
    column, NULL in the others. PostgreSQL types a UNION's columns
    pairwise, so two untyped NULLs would become text there and clash
    with a number: its NULLs are cast. Elsewhere a CAST may not exist
    (FLOAT on MySQL) and a bare NULL takes the typed branch's type;
    SQLAlchemy still decodes each column as its table's value.
    """
    typed_null = sa.cast if dialect_name == 'postgresql' else sa.type_coerce
    value_types = [table.c.value.type for table in trait_tables.values()]
    branches = []
    for position, table in enumerate(trait_tables.values()):
        values = [(table.c.value if other == position
                   else typed_null(sa.null(), value_type))
                  .label('value_%d' % other)
                  for other, value_type in enumerate(value_types)]
        branches.append(sa.select(*lead(table), table.c.key, *values)
                        .where(where(table)))
    return branches


def traits_query(dialect_name, trait_tables, ids_style):
    """All traits of the events ``ids``, as one UNION ALL.

    ``trait_tables`` maps each trait type to its table; ``ids_style``
    says how ``ids`` is bound (see ids_bound). A row is
    (event_id, key, value of the first type, value of the second, ...):
    each branch is a primary-key lookup in one table, so a page costs
    one round trip instead of one per table.
    """
    return sa.union_all(*_trait_branches(
        dialect_name, trait_tables,
        lambda table: [table.c.event_id],
        lambda table: ids_bound(ids_style, table.c.event_id)))


def traits_queries_by_type(trait_tables, ids_style):
    """{trait type: the (event_id, key, value) rows of the events ``ids``}.

    For a back end with no round trip to save (SQLite): four plain
    statements cost less than their UNION ALL, whose rows carry a NULL
    for each other type's value (0.62 against 0.79 ms for a page's
    1,200 traits on a 1M store), and a row's type is its statement's.
    """
    return {dtype: sa.select(table.c.event_id, table.c.key, table.c.value)
            .where(ids_bound(ids_style, table.c.event_id))
            for dtype, table in trait_tables.items()}


def one_event_traits_query(dialect_name, trait_tables):
    """The traits of the event bound as ``event_id``.

    Rows as :func:`traits_query` gives them, for a statement whose text
    must not change with the number of events (see direct_reads.py).
    """
    return sa.union_all(*_trait_branches(
        dialect_name, trait_tables,
        lambda table: [table.c.event_id],
        lambda table: table.c.event_id == sa.bindparam('event_id')))


def event_traits_lateral(dialect_name, trait_tables, event_id):
    """The traits of the outer query's ``event_id``: a LATERAL subquery.

    Its columns are ``key`` and the values, as in :func:`traits_query`.
    Joined (LEFT, ON true) to a lookup of one event it brings that
    event's traits in the same round trip: a row per trait, or one row
    of NULLs for an event without any.
    """
    return sa.union_all(*_trait_branches(
        dialect_name, trait_tables,
        lambda table: [],
        lambda table: table.c.event_id == event_id)).lateral('traits')


def fetch_traits(db, statement, ids, value_types):
    """The rows of ``statement`` for ``ids``, sorted by event and name.

    Rows are the DBAPI's own tuples, not SQLAlchemy ``Row`` objects:
    building a ``Row`` for each of a page's thousand-odd traits cost
    as much as fetching them. So the values come as the DBAPI decodes
    them; returned beside the rows, in the order of ``value_types``,
    is the result processor of each value column (None where the
    DBAPI's value is already the column type's), which the caller
    applies to the one value it uses of each row.
    """
    dialect = db.dialect
    with db.execute(statement, {'ids': ids}) as result:
        cursor = result.cursor
        processors = [
            value_type.dialect_impl(dialect).result_processor(
                dialect, column[1])
            for value_type, column in zip(value_types,
                                          cursor.description[2:])]
        # A list on some DBAPIs, a tuple on others (PyMySQL).
        rows = sorted(cursor.fetchall(), key=EVENT_THEN_NAME)
    return rows, processors
