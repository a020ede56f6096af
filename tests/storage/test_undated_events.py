"""Events with no ``generated``: rows only an adopted Panko store holds.

Panko's event table allowed a NULL ``generated`` (Panko itself always
set one), and ``record_events`` refuses such events, so the rows are
made here by clearing the column in SQL after recording.
"""

import pytest
import sqlalchemy as sa

from panko_clone import storage
from tests import conftest
from tests.helpers import at, event, fetch, ids


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    """Only the SQL back ends can hold such rows."""
    return conftest.sql_backend(request)


class TestUndatedEvents:
    """Adopted Panko rows may have no ``generated`` (its column allows
    NULL, though Panko always set it). A trait walk puts them where the
    database's own ORDER BY does, as the unfiltered listing of the same
    events shows; paging after one in time order is refused cleanly."""

    @staticmethod
    def undate(conn, message_ids):
        with conn.engine.begin() as db:
            undated = sa.select(sa.text('id')).select_from(
                sa.table('event')).where(
                    sa.column('message_id').in_(message_ids))
            db.execute(sa.table('event', sa.column('id'),
                                sa.column('generated')).update()
                       .where(sa.column('id').in_(undated))
                       .values(generated=None))
            db.execute(sa.table('trait_int', sa.column('event_id'),
                                sa.column('generated')).update()
                       .where(sa.column('event_id').in_(
                           sa.select(sa.column('id'))
                           .select_from(sa.table('event'))
                           .where(sa.column('generated').is_(None))))
                       .values(generated=None))

    def record(self, conn):
        conn.record_events([
            event('m%02d' % ((i * 7) % 10), 'Foo', at(minutes=i // 2),
                  {'n': i}) for i in range(10)])
        self.undate(conn, ['m00', 'm07', 'm04', 'm01'])

    @pytest.mark.parametrize('direction', ['asc', 'desc'])
    def test_first_pages_match_the_unfiltered_order(self, conn,
                                                    direction):
        self.record(conn)
        sort = [('generated', direction)]
        every = [{'key': 'n', 'op': 'ge', 'integer': 0}]
        for size in range(1, 11):
            unfiltered = ids(fetch(conn, {'limit': size, 'sort': sort}))
            walked = ids(fetch(conn, {'limit': size, 'sort': sort},
                               traits_filter=every))
            assert walked == unfiltered, size
        assert sorted(unfiltered) == ['m%02d' % i for i in range(10)]

    @pytest.mark.parametrize('traits_filter', [
        None, [{'key': 'n', 'op': 'ge', 'integer': 0}]])
    def test_a_marker_without_a_time_is_refused_in_time_order(
            self, conn, traits_filter):
        self.record(conn)
        with pytest.raises(storage.InvalidMarker,
                           match='m07 has no generated time'):
            fetch(conn, {'limit': 2, 'marker': 'm07'},
                  traits_filter=traits_filter)

    def test_a_marker_without_a_time_pages_by_message_id(self, conn):
        self.record(conn)
        got = fetch(conn, {'limit': 2, 'marker': 'm07',
                           'sort': [('message_id', 'asc')]})
        assert ids(got) == ['m08', 'm09']
