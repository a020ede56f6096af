"""Write semantics of every driver: recording, deleting, expiring.

Each test runs on sqlite, memory, postgresql and mysql. The concurrent
tests start several threads at one barrier, all sharing the module's
connection (as the API's request threads do), and check invariants that
hold whatever the interleaving: each message_id stored exactly once and
created by exactly one caller; nothing written is lost while deletes
and expiry run.
"""

import datetime
import random
import threading

import pytest

from panko_clone import storage
from panko_clone.storage import models
from tests.helpers import Trait, as_tuple, at, event, fetch, ids, trait
from tests.helpers import trait_tuples

THREADS = 4


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def run_together(count, target):
    """Run ``target(index)`` in ``count`` threads started at once.

    Returns the results by index; re-raises the first exception a thread
    met, so a failure inside a thread fails the test.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def work(index):
        try:
            barrier.wait()
            results[index] = target(index)
        except BaseException as err:  # handed to the test thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# ------------------------------------------------------------- duplicates


class TestDuplicates:

    def test_first_copy_within_one_call_wins(self, conn):
        result = conn.record_events([
            event('same', 'First', at(), {'v': 1}, raw={'copy': 1}),
            event('other'),
            event('same', 'Second', at(days=1), {'v': 2}, raw={'copy': 2}),
        ])
        assert sorted(result.created) == ['other', 'same']
        assert list(result.duplicates) == ['same']
        [stored] = fetch(conn, message_id='same')
        assert as_tuple(stored) == as_tuple(
            event('same', 'First', at(), {'v': 1}, raw={'copy': 1}))

    def test_a_call_of_only_duplicates_changes_nothing(self, conn):
        conn.record_events([event('x', 'T', at(), {'v': 1}),
                            event('y', 'T', at(), {'v': 2})])
        before = [as_tuple(e) for e in fetch(conn)]
        result = conn.record_events([event('y', 'U'), event('x', 'U'),
                                     event('y', 'U')])
        assert list(result.created) == []
        assert sorted(result.duplicates) == ['x', 'y', 'y']
        assert [as_tuple(e) for e in fetch(conn)] == before
        assert list(conn.get_event_types()) == ['T']

    def test_created_and_duplicates_partition_the_call(self, conn):
        conn.record_events([event('m-%d' % i) for i in range(0, 10, 2)])
        batch = [event('m-%d' % i) for i in range(10)]
        result = conn.record_events(batch)
        assert sorted(result.created) == ['m-%d' % i for i in (1, 3, 5, 7, 9)]
        assert sorted(result.duplicates) == [
            'm-%d' % i for i in (0, 2, 4, 6, 8)]
        assert len(fetch(conn)) == 10


# ------------------------------------------------------------ stored values


class TestValues:

    def test_text_cut_counts_characters_not_bytes(self, conn):
        conn.record_events([event('u', traits=[
            trait('emoji', '\U0001f600' * 300),
            trait('mixed', 'a\u00e9\u4e2d\U0001f600' * 100)])])
        [got] = fetch(conn)
        values = {t.name: t.value for t in got.traits}
        assert values == {'emoji': '\U0001f600' * 255,
                          'mixed': ('a\u00e9\u4e2d\U0001f600' * 100)[:255]}

    def test_long_project_id_is_cut_and_still_scopes(self, conn):
        long_project = 'p' * 300
        conn.record_events([event('owned', traits={
            'project_id': long_project, 'user_id': 'u'})])
        [got] = fetch(conn, admin_proj='p' * 255)
        assert {t.name: t.value for t in got.traits}['project_id'] == (
            'p' * 255)
        assert fetch(conn, admin_proj='other') == []

    @pytest.mark.parametrize('value', [2 ** 63, -2 ** 63 - 1, 10 ** 30])
    def test_integer_beyond_64_bits_is_refused(self, conn, value):
        with pytest.raises(ValueError):
            conn.record_events([event('fine', traits={'n': 1}),
                                event('wide', traits={'n': value})])
        assert fetch(conn) == []
        assert list(conn.get_event_types()) == []

    @pytest.mark.parametrize('value', [float('nan'), float('inf'),
                                       float('-inf')])
    def test_non_finite_float_is_refused(self, conn, value):
        with pytest.raises(ValueError):
            conn.record_events([event('fine'),
                                event('odd', traits={'f': value})])
        assert fetch(conn) == []

    def test_integer_and_float_extremes_round_trip(self, conn):
        values = {'imax': 2 ** 63 - 1, 'imin': -2 ** 63, 'izero': 0,
                  'fmax': 1.7976931348623157e308,
                  'fmin': 5e-324, 'fneg': -2.5e-300, 'fthird': 1 / 3}
        conn.record_events([event('n', traits=values)])
        [got] = fetch(conn)
        assert {t.name: t.value for t in got.traits} == values
        assert {t.name: type(t.value) for t in got.traits} == {
            name: type(value) for name, value in values.items()}

    def test_aware_datetimes_are_stored_as_naive_utc(self, conn):
        plus_five_thirty = datetime.timezone(datetime.timedelta(
            hours=5, minutes=30))
        minus_eight = datetime.timezone(datetime.timedelta(hours=-8))
        conn.record_events([event(
            'tz', generated=datetime.datetime(2014, 1, 1, 10, 30, 0, 123,
                                              tzinfo=plus_five_thirty),
            traits={'when': datetime.datetime(2013, 12, 31, 21, 0,
                                              tzinfo=minus_eight)})])
        [got] = fetch(conn)
        assert got.generated == datetime.datetime(2014, 1, 1, 5, 0, 0, 123)
        assert got.generated.tzinfo is None
        [when] = got.traits
        assert when.value == datetime.datetime(2014, 1, 1, 5, 0)
        assert when.value.tzinfo is None
        # The converted values are what filters compare with.
        assert ids(fetch(conn, start_timestamp=at(),
                         end_timestamp=at(microseconds=123))) == ['tz']
        assert ids(fetch(conn, traits_filter=[
            {'key': 'when', 'op': 'eq', 'datetime': at()}])) == ['tz']

    def test_unicode_everywhere(self, conn):
        original = event(
            '\u00e9v\u00e9nement-\U0001f600', '\u8ba1\u7b97.\u5b9e\u4f8b',
            at(), [trait('\u540d\u524d', '\u0437\u043d\u0430\u0447'),
                   trait('\u00fcber', 7),
                   trait('\U0001f4a1', 1.5)],
            raw={'\u00e9': ['\U0001f600', {'\u4e2d': '\u00fc'}]})
        assert conn.record_events([original]).created == [
            original.message_id]
        [got] = fetch(conn)
        assert as_tuple(got) == as_tuple(original)
        assert ids(fetch(conn, event_type='\u8ba1\u7b97.\u5b9e\u4f8b')) == [
            original.message_id]
        assert ids(fetch(conn, message_id=original.message_id)) == [
            original.message_id]
        assert ids(fetch(conn, traits_filter=[
            {'key': '\u540d\u524d', 'op': 'eq',
             'string': '\u0437\u043d\u0430\u0447'}])) == [original.message_id]
        assert list(conn.get_event_types()) == ['\u8ba1\u7b97.\u5b9e\u4f8b']

    def test_text_with_control_and_escape_characters_round_trips(
            self, conn):
        # What a bulk loader's text format must escape (PostgreSQL's
        # COPY) or could mistake for NULL, in names and values alike.
        awkward = ['tab\there', 'new\nline', 'carriage\rreturn',
                   'back\\slash', 'ends with \\', '\\N', 'N\\', '\\\\N',
                   '\\t literally', '']
        traits = [trait('k%d %s' % (i, value), value)
                  for i, value in enumerate(awkward)]
        conn.record_events([event('esc', traits=traits)])
        [got] = fetch(conn)
        assert sorted((t.name, t.value) for t in got.traits) == sorted(
            (t.name, t.value) for t in traits)
        for t in traits:
            assert ids(fetch(conn, traits_filter=[
                {'key': t.name, 'op': 'eq', 'string': t.value}])) == ['esc']

    def test_raw_comes_back_exactly(self, conn):
        raw = {'payload': {'nested': {'deep': [1, -2, 3.25, None, True,
                                                False, '', 'x' * 1000]},
                           'big': 2 ** 63 + 1, 'tiny': 1e-300},
               'empty': {}, 'list': [], 'unicode': '\u00e9\U0001f600\u4e2d',
               'escapes': 'quote " backslash \\ newline \n tab \t nul \x00'}
        conn.record_events([event('raw', raw=raw)])
        [got] = fetch(conn)
        assert got.raw == raw
        assert type(got.raw['payload']['nested']['deep'][2]) is float

    def test_one_trait_per_name_and_type_the_last_wins(self, conn):
        conn.record_events([event('t', traits=[
            trait('k', 'first'), trait('k', 'second'), trait('k', 5),
            trait('other', 1.0)])])
        [got] = fetch(conn)
        assert trait_tuples(got.traits) == [
            ('k', Trait.TEXT_TYPE, 'second'), ('k', Trait.INT_TYPE, 5),
            ('other', Trait.FLOAT_TYPE, 1.0)]

    def test_stored_events_are_not_aliased_to_the_caller(self, conn):
        raw = {'k': ['v']}
        original = event('alias', traits={'n': 1}, raw=raw)
        conn.record_events([original])
        raw['k'].append('changed')
        original.traits.append(trait('late', 2))
        [got] = fetch(conn)
        assert got.raw == {'k': ['v']}
        assert trait_tuples(got.traits) == [('n', Trait.INT_TYPE, 1)]


# ---------------------------------------------------------------- deletes


def _store_for_deletes(conn):
    conn.record_events([
        event('d1', 'A', at(hours=1), {'project_id': 'p1', 'size': 1}),
        event('d2', 'A', at(hours=2), {'project_id': 'p1', 'size': 5}),
        event('d3', 'B', at(hours=3), {'project_id': 'p2', 'size': 5}),
        event('d4', 'B', at(hours=4), {'size': 9}),
        event('d5', 'C', at(hours=5), {'project_id': 'p2'}),
    ])


class TestDeleteByFilter:

    def test_time_range_and_trait_together(self, conn):
        _store_for_deletes(conn)
        deleted = conn.delete_events(storage.EventFilter(
            start_timestamp=at(hours=2), end_timestamp=at(hours=4),
            traits_filter=[{'key': 'size', 'op': 'ge', 'integer': 5}]))
        assert deleted == 3
        assert ids(fetch(conn)) == ['d1', 'd5']
        # The types left without events are gone, the others stay.
        assert list(conn.get_event_types()) == ['A', 'C']

    def test_only_what_a_listing_with_the_filter_shows(self, conn):
        _store_for_deletes(conn)
        event_filter = storage.EventFilter(
            traits_filter=[{'key': 'size', 'op': 'eq', 'integer': 5}],
            admin_proj='p1')
        listed = ids(fetch(conn, traits_filter=[
            {'key': 'size', 'op': 'eq', 'integer': 5}], admin_proj='p1'))
        assert conn.delete_events(event_filter) == len(listed) == 1
        assert ids(fetch(conn)) == ['d1', 'd3', 'd4', 'd5']

    def test_traits_of_deleted_events_are_gone(self, conn):
        _store_for_deletes(conn)
        conn.delete_events(storage.EventFilter(event_type='B'))
        assert list(conn.get_traits('B')) == []
        assert list(conn.get_trait_types('B')) == []
        conn.record_events([event('d6', 'B', at(), {'fresh': 'yes'})])
        assert trait_tuples(conn.get_traits('B')) == [
            ('fresh', Trait.TEXT_TYPE, 'yes')]

    def test_many_events_beyond_one_chunk(self, conn):
        conn.record_events([event('bulk-%04d' % i, 'Bulk',
                                  at(seconds=i), {'i': i})
                            for i in range(2500)])
        conn.record_events([event('keep', 'Keep', at())])
        assert conn.delete_events(storage.EventFilter(
            event_type='Bulk')) == 2500
        assert ids(fetch(conn)) == ['keep']


# ----------------------------------------------------------------- expiry


class TestExpiryInBatches:

    def test_batches_take_the_oldest_first(self, conn):
        now = utcnow()
        old = [event('old-%02d' % i, 'Old',
                     now - datetime.timedelta(days=30, seconds=-i))
               for i in range(25)]
        fresh = [event('new-%d' % i, 'New', now) for i in range(5)]
        conn.record_events(old + fresh)
        removed = []
        while True:
            count = conn.clear_expired_data(86400, 10)
            removed.append(count)
            remaining = {e.message_id for e in fetch(conn)}
            if count == 0:
                break
            # Only the oldest go: what remains of the old ones is a
            # suffix of them in time order.
            left = sorted(m for m in remaining if m.startswith('old-'))
            assert left == ['old-%02d' % i for i in range(sum(removed), 25)]
        assert removed == [10, 10, 5, 0]
        assert remaining == {'new-%d' % i for i in range(5)}
        assert list(conn.get_event_types()) == ['New']

    def test_ttl_boundary(self, conn):
        now = utcnow()
        conn.record_events([
            event('expired', 'T', now - datetime.timedelta(hours=2)),
            event('kept', 'T', now + datetime.timedelta(hours=1))])
        assert conn.clear_expired_data(3600, None) == 1
        assert ids(fetch(conn)) == ['kept']


# ------------------------------------------------------------ concurrency


class TestConcurrentWriters:

    def test_overlapping_ids_are_stored_once(self, conn):
        """Every thread posts every id, in its own order and batches."""
        all_ids = ['c-%03d' % i for i in range(60)]

        def write(index):
            order = list(all_ids)
            random.Random(index).shuffle(order)
            created, duplicates = [], []
            for start in range(0, len(order), 15):
                batch = [event(mid, 'Type-%d' % (int(mid[2:]) % 7),
                               at(seconds=int(mid[2:])), {'n': mid})
                         for mid in order[start:start + 15]]
                result = conn.record_events(batch)
                created.extend(result.created)
                duplicates.extend(result.duplicates)
            return created, duplicates

        results = run_together(THREADS, write)
        everything_created = [mid for created, _ in results
                              for mid in created]
        assert sorted(everything_created) == all_ids
        for created, duplicates in results:
            assert sorted(created + duplicates) == all_ids
        stored = fetch(conn)
        assert sorted(ids(stored)) == all_ids
        for ev in stored:
            assert trait_tuples(ev.traits) == [
                ('n', Trait.TEXT_TYPE, ev.message_id)]
        assert list(conn.get_event_types()) == sorted(
            'Type-%d' % i for i in range(7))

    def test_same_single_event_from_every_thread(self, conn):
        def write(index):
            return conn.record_events([event('only', 'New.Type', at(),
                                             {'writer': index})])

        results = run_together(THREADS, write)
        assert sorted(len(r.created) for r in results) == [0] * (
            THREADS - 1) + [1]
        assert sum(len(r.duplicates) for r in results) == THREADS - 1
        assert ids(fetch(conn)) == ['only']

    def test_no_write_is_lost_while_deletes_run(self, conn):
        """Writers and a deleter share one event type.

        The deleter empties the type again and again, so the type row
        itself is dropped and recreated under the writers' feet; every
        event a writer was told is created must either still be there or
        have been counted by a delete.
        """
        writers = THREADS - 1
        rounds = 15

        def work(index):
            if index == writers:
                deleted = 0
                for _ in range(rounds * 2):
                    deleted += conn.delete_events(
                        storage.EventFilter(event_type='Churn'))
                return deleted
            created = 0
            for round_ in range(rounds):
                result = conn.record_events([
                    event('w%d-%d-%d' % (index, round_, i), 'Churn', at(),
                          {'k': i}) for i in range(5)])
                created += len(result.created)
            return created

        results = run_together(writers + 1, work)
        deleted = results[writers]
        created = sum(results[:writers])
        assert created == writers * rounds * 5
        remaining = fetch(conn)
        assert deleted + len(remaining) == created
        # What remains is whole: readable with its type and traits.
        for ev in remaining:
            assert ev.event_type == 'Churn'
            assert len(ev.traits) == 1
        if remaining:
            assert list(conn.get_event_types()) == ['Churn']

    def test_no_write_is_lost_while_expiring(self, conn):
        now = utcnow()
        old = now - datetime.timedelta(days=3)
        conn.record_events([event('old-%03d' % i, 'Aged', old)
                            for i in range(300)])

        def work(index):
            if index == 0:
                removed = 0
                while True:
                    count = conn.clear_expired_data(86400, 25)
                    removed += count
                    if count == 0:
                        return removed
            created = []
            for round_ in range(10):
                result = conn.record_events([
                    event('new-%d-%d-%d' % (index, round_, i), 'Aged', now)
                    for i in range(5)])
                created.extend(result.created)
            return created

        results = run_together(3, work)
        assert results[0] == 300
        created = results[1] + results[2]
        assert len(created) == 100
        assert sorted(ids(fetch(conn))) == sorted(created)
        assert list(conn.get_event_types()) == ['Aged']


def test_record_events_takes_plain_storage_models(conn):
    """The storage API documented for Panko's dispatcher still works."""
    result = conn.record_events([models.Event(
        'plain', 'Plain', datetime.datetime(2014, 1, 1),
        [models.Trait('t', models.Trait.TEXT_TYPE, 'v')], {})])
    assert list(result) == [['plain'], []]
