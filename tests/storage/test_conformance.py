"""The storage conformance suite: every driver, the same expectations.

Each test runs unchanged against sqlite, memory, postgresql and mysql
(see ``tests/conftest.py``); a behaviour that differs between back ends
is a bug in one of them.
"""

import datetime

import pytest

from panko_clone import storage
from panko_clone.storage import models
from tests.helpers import (ALL_IDS, CAPABILITY_KEYS, T0, Trait, as_tuple,
                           at, event, fetch, flatten, ids, sample_events,
                           trait, trait_tuples)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def sample(conn):
    conn.record_events(sample_events())
    return conn


# --------------------------------------------------------------- recording


class TestRoundTrip:

    def test_every_trait_type_comes_back_exactly(self, conn):
        when = datetime.datetime(2015, 6, 7, 8, 9, 10, 123456)
        original = event(
            'rt-1', 'compute.instance.create.end',
            datetime.datetime(2014, 1, 1, 5, 0, 0, 654321),
            [trait('text', 'h\u00e9llo w\u00f6rld \u2603 \U0001f600'),
             trait('int', 42),
             trait('big', 2 ** 62 + 12345),
             trait('max', 2 ** 63 - 1),
             trait('min', -2 ** 63),
             trait('negative', -7),
             trait('float', 3.141592653589793),
             trait('tiny', -0.000123456789012345),
             trait('huge', 1.2345678901234567e300),
             trait('when', when)],
            raw={'payload': {'state': 'active', 'list': [1, 2.5, None]},
                 'unicode': '\u00fc\U0001f600'})
        assert conn.record_events([original]).created == ['rt-1']

        [got] = fetch(conn)
        assert as_tuple(got) == as_tuple(original)
        for t in got.traits:
            expected = type(dict((o.name, o.value)
                                 for o in original.traits)[t.name])
            assert type(t.value) is expected, t
        assert got.generated.tzinfo is None
        assert isinstance(got.generated, datetime.datetime)

    def test_zero_and_empty_values_keep_their_type(self, conn):
        conn.record_events([event('zero', traits=[
            trait('text', ''), trait('int', 0), trait('float', 0.0)])])
        [got] = fetch(conn)
        assert trait_tuples(got.traits) == [
            ('float', Trait.FLOAT_TYPE, 0.0),
            ('int', Trait.INT_TYPE, 0),
            ('text', Trait.TEXT_TYPE, '')]

    def test_traits_come_sorted_by_name_then_type(self, conn):
        """The order the API shows them in; it does not sort again."""
        def scrambled(n):
            return event('sorted-%d' % n, 'Sorted', at(minutes=n), [
                trait('zone', 'z%d' % n), trait('size', n),
                trait('Size', 'upper'), trait('size', 'small'),
                trait('at', at(days=n)), trait('load', 0.5 + n),
                trait('host', 'h%d' % n), trait('size', 2.5)])

        conn.record_events([scrambled(n) for n in range(3)])
        expected = [('Size', Trait.TEXT_TYPE), ('at', Trait.DATETIME_TYPE),
                    ('host', Trait.TEXT_TYPE), ('load', Trait.FLOAT_TYPE),
                    ('size', Trait.TEXT_TYPE), ('size', Trait.INT_TYPE),
                    ('size', Trait.FLOAT_TYPE), ('zone', Trait.TEXT_TYPE)]
        reads = [fetch(conn), fetch(conn, message_id='sorted-1'),
                 fetch(conn, traits_filter=[{'key': 'host', 'op': 'eq',
                                             'string': 'h2'}]),
                 fetch(conn, traits_filter=[{'key': 'size', 'op': 'ge',
                                             'integer': 1}])]
        assert [len(read) for read in reads] == [3, 1, 1, 2]
        for read in reads:
            for got in read:
                assert [(t.name, t.dtype) for t in got.traits] == expected

    def test_text_is_cut_to_255_characters(self, conn):
        conn.record_events([event('long', traits=[
            trait('ascii', 'x' * 300),
            trait('accents', '\u00e9' * 256 + 'tail'),
            trait('exact', 'y' * 255)])])
        [got] = fetch(conn)
        values = {t.name: t.value for t in got.traits}
        assert values == {'ascii': 'x' * 255, 'accents': '\u00e9' * 255,
                          'exact': 'y' * 255}

    def test_raw_is_kept_and_none_becomes_empty_dict(self, conn):
        raw = {'event_type': 'x', 'payload': {'a': [1, {'b': None}]},
               'n': 1.5, 'ok': True}
        conn.record_events([event('with-raw', raw=raw),
                            event('no-raw', raw=None)])
        got = {e.message_id: e.raw for e in fetch(conn)}
        assert got == {'with-raw': raw, 'no-raw': {}}

    def test_event_without_traits(self, conn):
        conn.record_events([event('bare', 'NoTraits', traits=None)])
        [got] = fetch(conn)
        assert (got.message_id, got.event_type, got.traits) == (
            'bare', 'NoTraits', [])

    def test_record_returns_created(self, conn):
        result = conn.record_events([event('one'), event('two')])
        assert isinstance(result, storage.Recorded)
        assert sorted(result.created) == ['one', 'two']
        assert list(result.duplicates) == []

    def test_duplicates_are_reported_and_not_stored_twice(self, conn):
        first = event('dup', 'Original', at(), {'v': 1}, raw={'n': 1})
        conn.record_events([first, event('other')])
        result = conn.record_events([
            event('dup', 'Changed', at(days=1), {'v': 2}, raw={'n': 2}),
            event('new')])
        assert list(result.created) == ['new']
        assert list(result.duplicates) == ['dup']
        stored = fetch(conn, message_id='dup')
        assert [as_tuple(e) for e in stored] == [as_tuple(first)]
        assert sorted(ids(fetch(conn))) == ['dup', 'new', 'other']

    def test_duplicate_within_one_batch_is_stored_once(self, conn):
        result = conn.record_events([event('twice', traits={'v': 1}),
                                     event('twice', traits={'v': 2})])
        assert list(result.created).count('twice') == 1
        assert ids(fetch(conn)) == ['twice']
        [got] = fetch(conn)
        assert trait_tuples(got.traits) == [('v', Trait.INT_TYPE, 1)]

    def test_clear_empties_the_store(self, conn):
        conn.record_events(sample_events())
        conn.clear()
        conn.upgrade()
        assert fetch(conn) == []
        assert list(conn.get_event_types()) == []


# ----------------------------------------------------------------- filters


class TestFilters:

    def test_no_filter_returns_everything(self, sample):
        assert ids(fetch(sample)) == ALL_IDS

    def test_start_timestamp_is_inclusive(self, sample):
        assert ids(fetch(sample, start_timestamp=at(days=2))) == [
            'c', 'd', 'e', 'f']

    def test_end_timestamp_is_inclusive(self, sample):
        assert ids(fetch(sample, end_timestamp=at(days=2))) == [
            'a', 'b', 'c']

    def test_start_and_end_together(self, sample):
        assert ids(fetch(sample, start_timestamp=at(days=1),
                         end_timestamp=at(days=3))) == ['b', 'c', 'd']

    def test_timestamps_between_events(self, sample):
        assert ids(fetch(sample, start_timestamp=at(days=1, seconds=1),
                         end_timestamp=at(days=2, seconds=-1))) == []

    def test_event_type(self, sample):
        assert ids(fetch(sample, event_type='Bar')) == ['c', 'd']

    def test_unknown_event_type(self, sample):
        assert fetch(sample, event_type='Nope') == []

    def test_message_id(self, sample):
        [got] = fetch(sample, message_id='c')
        assert (got.message_id, got.event_type) == ('c', 'Bar')

    def test_unknown_message_id(self, sample):
        assert fetch(sample, message_id='zzz') == []

    def test_event_type_and_message_id_must_both_match(self, sample):
        assert ids(fetch(sample, event_type='Bar', message_id='c')) == ['c']
        assert fetch(sample, event_type='Foo', message_id='c') == []

    @pytest.mark.parametrize('key,type_name,op,value,expected', [
        # text
        ('name', 'string', 'eq', 'charlie', ['c']),
        ('name', 'string', 'ne', 'charlie', ['a', 'b', 'd', 'e']),
        ('name', 'string', 'lt', 'charlie', ['a', 'b']),
        ('name', 'string', 'le', 'charlie', ['a', 'b', 'c']),
        ('name', 'string', 'gt', 'charlie', ['d', 'e']),
        ('name', 'string', 'ge', 'charlie', ['c', 'd', 'e']),
        # integer
        ('size', 'integer', 'eq', 3, ['c']),
        ('size', 'integer', 'ne', 3, ['a', 'b', 'd', 'e']),
        ('size', 'integer', 'lt', 3, ['a', 'b']),
        ('size', 'integer', 'le', 3, ['a', 'b', 'c']),
        ('size', 'integer', 'gt', 3, ['d', 'e']),
        ('size', 'integer', 'ge', 3, ['c', 'd', 'e']),
        # float
        ('ratio', 'float', 'eq', 2.5, ['c']),
        ('ratio', 'float', 'ne', 2.5, ['a', 'b', 'd', 'e']),
        ('ratio', 'float', 'lt', 2.5, ['a', 'b']),
        ('ratio', 'float', 'le', 2.5, ['a', 'b', 'c']),
        ('ratio', 'float', 'gt', 2.5, ['d', 'e']),
        ('ratio', 'float', 'ge', 2.5, ['c', 'd', 'e']),
        # datetime
        ('when', 'datetime', 'eq', at(days=2, hours=1), ['c']),
        ('when', 'datetime', 'ne', at(days=2, hours=1),
         ['a', 'b', 'd', 'e']),
        ('when', 'datetime', 'lt', at(days=2, hours=1), ['a', 'b']),
        ('when', 'datetime', 'le', at(days=2, hours=1), ['a', 'b', 'c']),
        ('when', 'datetime', 'gt', at(days=2, hours=1), ['d', 'e']),
        ('when', 'datetime', 'ge', at(days=2, hours=1), ['c', 'd', 'e']),
    ])
    def test_trait_operator(self, sample, key, type_name, op, value,
                            expected):
        traits_filter = [{'key': key, 'op': op, type_name: value}]
        assert ids(fetch(sample, traits_filter=traits_filter)) == expected

    def test_trait_filter_without_op_means_eq(self, sample):
        assert ids(fetch(sample, traits_filter=[
            {'key': 'size', 'integer': 4}])) == ['d']

    def test_integer_filter_between_values(self, sample):
        assert ids(fetch(sample, traits_filter=[
            {'key': 'ratio', 'op': 'gt', 'float': 1.6},
            {'key': 'ratio', 'op': 'lt', 'float': 2.4}])) == []

    def test_two_filters_on_the_same_trait_are_anded(self, sample):
        assert ids(fetch(sample, traits_filter=[
            {'key': 'size', 'op': 'ge', 'integer': 2},
            {'key': 'size', 'op': 'le', 'integer': 4}])) == ['b', 'c', 'd']

    def test_filters_on_several_traits_are_anded(self, sample):
        assert ids(fetch(sample, traits_filter=[
            {'key': 'user_id', 'op': 'eq', 'string': 'u1'},
            {'key': 'size', 'op': 'gt', 'integer': 1}])) == ['c']

    def test_trait_filters_and_event_fields_are_anded(self, sample):
        assert ids(fetch(sample, event_type='Foo',
                         start_timestamp=at(days=1),
                         traits_filter=[{'key': 'user_id', 'op': 'eq',
                                         'string': 'u2'}])) == ['b']
        assert ids(fetch(sample, event_type='Bar',
                         traits_filter=[{'key': 'user_id', 'op': 'eq',
                                         'string': 'u2'}])) == []

    def test_contradicting_filters_match_nothing(self, sample):
        assert fetch(sample, traits_filter=[
            {'key': 'name', 'op': 'eq', 'string': 'alpha'},
            {'key': 'name', 'op': 'eq', 'string': 'bravo'}]) == []

    def test_unknown_trait_matches_nothing(self, sample):
        for op in ('eq', 'ne', 'lt', 'gt'):
            assert fetch(sample, traits_filter=[
                {'key': 'no_such_trait', 'op': op, 'string': 'x'}]) == []

    @pytest.mark.parametrize('type_name,value', [
        ('string', '3'), ('float', 3.0), ('datetime', at(days=2, hours=1))])
    def test_wrong_type_matches_nothing(self, sample, type_name, value):
        # size is stored as an integer: any other type finds nothing
        assert fetch(sample, traits_filter=[
            {'key': 'size', 'op': 'eq', type_name: value}]) == []
        assert fetch(sample, traits_filter=[
            {'key': 'size', 'op': 'ne', type_name: value}]) == []

    def test_string_eq_is_exact(self, conn):
        conn.record_events([
            event('lower', traits={'host': 'node-a'}),
            event('upper', traits={'host': 'NODE-A'}),
            event('uni', traits={'host': 'n\u00f6de-\U0001f600'})])
        assert ids(fetch(conn, traits_filter=[
            {'key': 'host', 'op': 'eq', 'string': 'node-a'}])) == ['lower']
        assert ids(fetch(conn, traits_filter=[
            {'key': 'host', 'op': 'eq', 'string': 'NODE-A'}])) == ['upper']
        assert ids(fetch(conn, traits_filter=[
            {'key': 'host', 'op': 'eq',
             'string': 'n\u00f6de-\U0001f600'}])) == ['uni']

    def test_event_type_is_exact(self, conn):
        conn.record_events([event('1', 'compute.start'),
                            event('2', 'Compute.Start')])
        assert ids(fetch(conn, event_type='compute.start')) == ['1']

    def test_big_integer_filters(self, conn):
        conn.record_events([
            event('small', traits={'n': 1}),
            event('big', traits={'n': 2 ** 62}),
            event('max', traits={'n': 2 ** 63 - 1}),
            event('min', traits={'n': -2 ** 63})])
        assert ids(fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'gt', 'integer': 2 ** 40}])) == ['big', 'max']
        assert ids(fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'eq', 'integer': 2 ** 63 - 1}])) == ['max']
        assert ids(fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'lt', 'integer': 0}])) == ['min']

    def test_microseconds_count_in_datetime_filters(self, conn):
        base = datetime.datetime(2020, 2, 2, 2, 2, 2, 500000)
        conn.record_events([
            event('early', generated=base, traits={'t': base}),
            event('late', generated=base + datetime.timedelta(
                microseconds=1), traits={
                't': base + datetime.timedelta(microseconds=1)})])
        assert ids(fetch(conn, traits_filter=[
            {'key': 't', 'op': 'gt', 'datetime': base}])) == ['late']
        assert ids(fetch(conn, start_timestamp=base + datetime.timedelta(
            microseconds=1))) == ['late']
        assert ids(fetch(conn, end_timestamp=base)) == ['early']

    def test_filter_dicts_are_reusable(self, sample):
        traits_filter = [{'key': 'size', 'op': 'ge', 'integer': 4}]
        event_filter = storage.EventFilter(traits_filter=traits_filter)
        first = ids(sample.get_events(event_filter))
        second = ids(sample.get_events(event_filter))
        assert first == second == ['d', 'e']


# ------------------------------------------------------------- visibility


def owner(project, user=None):
    """The traits filter the API gives a member: its project and user.

    Without ``user``, a member allowed its whole project.
    """
    rules = [{'key': 'project_id', 'op': 'eq', 'string': project}]
    if user is not None:
        rules.append({'key': 'user_id', 'op': 'eq', 'string': user})
    return rules


class TestVisibility:
    """The RBAC rules as the API expresses them in an EventFilter."""

    def test_admin_proj_sees_own_project_and_unowned(self, sample):
        assert ids(fetch(sample, admin_proj='p1')) == ['a', 'b', 'd', 'f']
        assert ids(fetch(sample, admin_proj='p2')) == ['c', 'd', 'e', 'f']

    def test_admin_proj_of_unknown_project_sees_only_unowned(self, sample):
        assert ids(fetch(sample, admin_proj='p-none')) == ['d', 'f']

    def test_admin_proj_with_other_filters(self, sample):
        assert ids(fetch(sample, admin_proj='p1', event_type='Bar')) == [
            'd']
        assert ids(fetch(sample, admin_proj='p2', traits_filter=[
            {'key': 'user_id', 'op': 'eq', 'string': 'u2'}])) == ['e']
        assert ids(fetch(sample, admin_proj='p1', message_id='c')) == []

    def test_restricted_caller_sees_own_project_and_user(self, sample):
        assert ids(fetch(sample, traits_filter=owner('p1', 'u1'))) == ['a']
        assert ids(fetch(sample, traits_filter=owner('p2', 'u2'))) == ['e']
        assert fetch(sample, traits_filter=owner('p1', 'u3')) == []
        assert ids(fetch(sample, traits_filter=owner('p2', 'u1') + [
            {'key': 'size', 'op': 'ge', 'integer': 3}])) == ['c']


class TestLookupByMessageId:
    """Looking one event up, as showing it does, under each visibility.

    SQLite answers these shapes on its own path (see
    ``storage/sqlalchemy/direct_reads.py``); they must agree with a
    listing, and with every other driver.
    """

    def test_the_event_comes_back_as_listed(self, sample):
        listed = {e.message_id: e for e in fetch(sample)}
        for message_id, expected in listed.items():
            [got] = fetch(sample, message_id=message_id)
            assert as_tuple(got) == as_tuple(expected)

    def test_every_trait_type_and_raw_come_back_exactly(self, conn):
        when = datetime.datetime(2015, 6, 7, 8, 9, 10, 123456)
        raw = {'payload': {'list': [1, 2.5, None]}, 'u': '\u00fc'}
        original = event('lk', 'Look', datetime.datetime(2014, 1, 1, 5),
                         [trait('text', 'h\u00e9llo'), trait('int', -7),
                          trait('big', 2 ** 63 - 1), trait('float', 0.25),
                          trait('when', when)], raw=raw)
        conn.record_events([original])
        [got] = fetch(conn, message_id='lk')
        assert as_tuple(got) == as_tuple(original)
        assert got.raw == raw
        assert type(got.generated) is datetime.datetime
        values = {t.name: t.value for t in got.traits}
        assert type(values['when']) is datetime.datetime
        assert type(values['float']) is float
        assert [t.name for t in got.traits] == sorted(values)

    def test_an_event_without_traits_or_raw(self, sample):
        [got] = fetch(sample, message_id='f')
        assert (got.event_type, got.traits, got.raw) == ('Zoo', [], {})

    def test_admin_sees_own_project_and_unowned_only(self, sample):
        assert ids(fetch(sample, message_id='a', admin_proj='p1')) == ['a']
        assert ids(fetch(sample, message_id='d', admin_proj='p1')) == ['d']
        assert fetch(sample, message_id='c', admin_proj='p1') == []
        assert fetch(sample, message_id='zzz', admin_proj='p1') == []

    def test_member_sees_own_events_only(self, sample):
        assert ids(fetch(sample, message_id='c',
                         traits_filter=owner('p2', 'u1'))) == ['c']
        assert fetch(sample, message_id='c',
                     traits_filter=owner('p2', 'u2')) == []
        assert fetch(sample, message_id='c',
                     traits_filter=owner('p1', 'u1')) == []
        # Unowned events belong to no member.
        assert fetch(sample, message_id='d',
                     traits_filter=owner('p1', 'u3')) == []

    def test_whole_project_member_sees_the_project(self, sample):
        assert ids(fetch(sample, message_id='e',
                         traits_filter=owner('p2'))) == ['e']
        assert fetch(sample, message_id='e',
                     traits_filter=owner('p1')) == []

    def test_callers_own_filters_beside_visibility(self, sample):
        rules = owner('p2', 'u1')
        assert ids(fetch(sample, message_id='c', traits_filter=rules + [
            {'key': 'project_id', 'op': 'eq', 'string': 'p2'}])) == ['c']
        assert fetch(sample, message_id='c', traits_filter=rules + [
            {'key': 'user_id', 'op': 'eq', 'string': 'u2'}]) == []
        assert ids(fetch(sample, message_id='c', traits_filter=[
            {'key': 'project_id', 'op': 'ne', 'string': 'p1'}])) == ['c']
        assert fetch(sample, message_id='c', traits_filter=[
            {'key': 'project_id', 'op': 'eq', 'integer': 2}]) == []
        assert ids(fetch(sample, message_id='c', traits_filter=[
            {'key': 'name', 'op': 'eq', 'string': 'charlie'}])) == ['c']

    def test_lookup_after_its_own_marker_is_empty(self, sample):
        assert fetch(sample, {'marker': 'c', 'limit': 10},
                     message_id='c') == []


# -------------------------------------------------------------- pagination

# Ties on ``generated`` so that the message_id tie-break shows.
#   id  generated
#   p3  T0
#   p1  T0+1h
#   p2  T0+1h
#   p5  T0+2h
#   p4  T0+2h
#   p0  T0+3h
PAGE_EVENTS = [('p3', 0), ('p1', 1), ('p2', 1), ('p5', 2), ('p4', 2),
               ('p0', 3)]

ORDERS = [
    (None, ['p3', 'p1', 'p2', 'p4', 'p5', 'p0']),
    ([], ['p3', 'p1', 'p2', 'p4', 'p5', 'p0']),
    ([('generated', 'asc')], ['p3', 'p1', 'p2', 'p4', 'p5', 'p0']),
    ([('generated', 'asc'), ('message_id', 'asc')],
     ['p3', 'p1', 'p2', 'p4', 'p5', 'p0']),
    # a single key is completed with message_id in the same direction
    ([('generated', 'desc')], ['p0', 'p5', 'p4', 'p2', 'p1', 'p3']),
    ([('generated', 'desc'), ('message_id', 'desc')],
     ['p0', 'p5', 'p4', 'p2', 'p1', 'p3']),
    ([('generated', 'desc'), ('message_id', 'asc')],
     ['p0', 'p4', 'p5', 'p1', 'p2', 'p3']),
    ([('generated', 'asc'), ('message_id', 'desc')],
     ['p3', 'p2', 'p1', 'p5', 'p4', 'p0']),
    ([('message_id', 'asc')], ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']),
    ([('message_id', 'desc')], ['p5', 'p4', 'p3', 'p2', 'p1', 'p0']),
    ([('message_id', 'desc'), ('generated', 'asc')],
     ['p5', 'p4', 'p3', 'p2', 'p1', 'p0']),
]
ORDER_IDS = ['none', 'empty', 'gen', 'gen-mid', 'gen-d', 'gen-d-mid-d',
             'gen-d-mid', 'gen-mid-d', 'mid', 'mid-d', 'mid-d-gen']


@pytest.fixture
def pages(conn):
    conn.record_events([
        event(mid, 'Page', at(hours=hours), {'n': i})
        for i, (mid, hours) in enumerate(PAGE_EVENTS)])
    return conn


class TestPagination:

    def test_limit(self, pages):
        assert ids(fetch(pages, {'limit': 2})) == ['p3', 'p1']
        assert ids(fetch(pages, {'limit': 1})) == ['p3']
        assert len(fetch(pages, {'limit': 100})) == 6

    def test_limit_none_means_everything(self, pages):
        assert len(fetch(pages, {'limit': None})) == 6

    @pytest.mark.parametrize('sort,expected', ORDERS, ids=ORDER_IDS)
    def test_sort_order(self, pages, sort, expected):
        pagination = {'limit': 100, 'marker': None}
        if sort is not None:
            pagination['sort'] = sort
        assert ids(fetch(pages, pagination)) == expected

    @pytest.mark.parametrize('sort,expected', ORDERS, ids=ORDER_IDS)
    @pytest.mark.parametrize('size', [1, 2, 4])
    def test_marker_pages_through_in_order(self, pages, sort, expected,
                                           size):
        seen = []
        marker = None
        for _ in range(10):
            pagination = {'limit': size, 'marker': marker}
            if sort is not None:
                pagination['sort'] = sort
            page = ids(fetch(pages, pagination))
            if not page:
                break
            assert len(page) <= size
            seen.extend(page)
            marker = page[-1]
        assert seen == expected

    def test_marker_in_a_tie_continues_after_it(self, pages):
        assert ids(fetch(pages, {'limit': 2, 'marker': 'p1'})) == [
            'p2', 'p4']
        assert ids(fetch(pages, {'limit': 2, 'marker': 'p4'})) == [
            'p5', 'p0']
        assert ids(fetch(pages, {'limit': 2, 'marker': 'p2', 'sort': [
            ('generated', 'desc'), ('message_id', 'desc')]})) == ['p1', 'p3']

    def test_marker_at_the_end_gives_an_empty_page(self, pages):
        assert fetch(pages, {'limit': 5, 'marker': 'p0'}) == []

    def test_marker_with_filter(self, pages):
        got = ids(fetch(pages, {'limit': 2, 'marker': 'p1'},
                        traits_filter=[{'key': 'n', 'op': 'ge',
                                        'integer': 1}]))
        assert got == ['p2', 'p4']

    @pytest.mark.parametrize('marker', [None, ''])
    def test_no_marker_starts_at_the_first_page(self, pages, marker):
        # Panko took an empty marker for none; clients send ``marker=``
        # for a first page.
        assert ids(fetch(pages, {'limit': 2, 'marker': marker})) == [
            'p3', 'p1']

    @pytest.mark.parametrize('bound', [('ge', 2), ('eq', 4)])
    @pytest.mark.parametrize('sort', [None, [('generated', 'desc')],
                                      [('message_id', 'asc')]])
    def test_marker_the_filter_excludes_raises(self, pages, bound, sort):
        # p1 (n = 1) exists but is not in this listing, whichever way
        # the driver finds the matches: no page continues from it.
        op, value = bound
        with pytest.raises(storage.InvalidMarker):
            fetch(pages, {'limit': 2, 'marker': 'p1', 'sort': sort},
                  traits_filter=[{'key': 'n', 'op': op,
                                  'integer': value}])

    def test_unknown_marker_raises(self, pages):
        with pytest.raises(storage.InvalidMarker):
            fetch(pages, {'limit': 2, 'marker': 'no-such-event'})

    def test_unknown_marker_raises_on_empty_store(self, conn):
        with pytest.raises(storage.InvalidMarker):
            fetch(conn, {'limit': 2, 'marker': 'no-such-event'})

    def test_traits_come_with_paged_events(self, pages):
        page = fetch(pages, {'limit': 2, 'marker': 'p2'})
        assert [(e.message_id, trait_tuples(e.traits)) for e in page] == [
            ('p4', [('n', Trait.INT_TYPE, 4)]),
            ('p5', [('n', Trait.INT_TYPE, 3)])]


# ------------------------------------------------------ types and traits


class TestEventTypesAndTraits:

    def test_event_types_sorted_and_distinct(self, sample):
        assert list(sample.get_event_types()) == ['Bar', 'Foo', 'Zoo']

    def test_event_types_empty_store(self, conn):
        assert list(conn.get_event_types()) == []

    def test_trait_types_ordered_by_type_then_name(self, sample):
        got = list(sample.get_trait_types('Foo'))
        assert got == [
            {'name': 'name', 'data_type': Trait.TEXT_TYPE},
            {'name': 'project_id', 'data_type': Trait.TEXT_TYPE},
            {'name': 'user_id', 'data_type': Trait.TEXT_TYPE},
            {'name': 'size', 'data_type': Trait.INT_TYPE},
            {'name': 'ratio', 'data_type': Trait.FLOAT_TYPE},
            {'name': 'when', 'data_type': Trait.DATETIME_TYPE},
        ]

    def test_trait_types_same_name_two_types(self, conn):
        conn.record_events([
            event('1', 'Mixed', traits={'zeta': 'text', 'alpha': 1}),
            event('2', 'Mixed', traits={'zeta': 5, 'alpha': 2}),
            event('3', 'Other', traits={'omega': 1.5})])
        assert list(conn.get_trait_types('Mixed')) == [
            {'name': 'zeta', 'data_type': Trait.TEXT_TYPE},
            {'name': 'alpha', 'data_type': Trait.INT_TYPE},
            {'name': 'zeta', 'data_type': Trait.INT_TYPE},
        ]

    def test_trait_types_of_unknown_type(self, sample):
        assert list(sample.get_trait_types('Nope')) == []

    def test_trait_types_of_type_without_traits(self, conn):
        conn.record_events([event('bare', 'Bare', traits=None)])
        assert list(conn.get_trait_types('Bare')) == []

    def test_all_traits_of_a_type(self, sample):
        got = trait_tuples(sample.get_traits('Bar'))
        assert got == trait_tuples([
            trait('name', 'charlie'), trait('size', 3), trait('ratio', 2.5),
            trait('when', at(days=2, hours=1)),
            trait('project_id', 'p2'), trait('user_id', 'u1'),
            trait('name', 'delta'), trait('size', 4), trait('ratio', 3.5),
            trait('when', at(days=3, hours=1)), trait('user_id', 'u3')])
        assert all(isinstance(t, Trait) for t in sample.get_traits('Bar'))

    def test_traits_by_name(self, sample):
        assert trait_tuples(sample.get_traits('Foo', 'size')) == [
            ('size', Trait.INT_TYPE, 1), ('size', Trait.INT_TYPE, 2)]
        assert trait_tuples(sample.get_traits('Foo', 'when')) == [
            ('when', Trait.DATETIME_TYPE, at(hours=1)),
            ('when', Trait.DATETIME_TYPE, at(days=1, hours=1))]
        assert trait_tuples(sample.get_traits('Bar', 'project_id')) == [
            ('project_id', Trait.TEXT_TYPE, 'p2')]

    def test_traits_of_unknown_type_or_name(self, sample):
        assert list(sample.get_traits('Nope')) == []
        assert list(sample.get_traits('Nope', 'size')) == []
        assert list(sample.get_traits('Foo', 'no_such_trait')) == []


# ------------------------------------------------------------ capabilities


class TestCapabilities:

    def test_capabilities_shape(self, conn):
        caps = conn.get_capabilities()
        flat = flatten(caps)
        assert CAPABILITY_KEYS <= set(flat)
        assert all(isinstance(v, bool) for v in flat.values()), flat
        assert caps['events']['query']['simple'] is True

    def test_delete_is_advertised(self, conn):
        # delete_events is implemented by every driver (tested below)
        assert conn.get_capabilities()['events']['delete'] is True

    def test_storage_capabilities(self, conn, backend):
        caps = conn.get_storage_capabilities()
        assert caps == {'storage': {
            'production_ready': backend != 'memory'}}


# ---------------------------------------------------- expiry and deletion


def _aged_events():
    now = utcnow()
    old = now - datetime.timedelta(days=10)
    recent = now - datetime.timedelta(minutes=5)
    return [
        event('old-1', 'Old', old, {'k': 'v1'}),
        event('old-2', 'Old', old + datetime.timedelta(seconds=1),
              {'k': 'v2'}),
        event('old-3', 'Mixed', old + datetime.timedelta(seconds=2),
              {'k': 'v3'}),
        event('new-1', 'Mixed', recent, {'k': 'v4'}),
        event('new-2', 'New', recent, {'k': 'v5'}),
    ]


class TestExpiry:

    def test_expired_events_are_removed(self, conn):
        conn.record_events(_aged_events())
        assert conn.clear_expired_data(3600, None) == 3
        assert sorted(ids(fetch(conn))) == ['new-1', 'new-2']
        assert conn.clear_expired_data(3600, None) == 0

    def test_max_count_zero_means_all(self, conn):
        conn.record_events(_aged_events())
        assert conn.clear_expired_data(3600, 0) == 3
        assert sorted(ids(fetch(conn))) == ['new-1', 'new-2']

    def test_max_count_bounds_each_call(self, conn):
        conn.record_events(_aged_events())
        assert conn.clear_expired_data(3600, 2) == 2
        remaining = ids(fetch(conn))
        assert len(remaining) == 3
        assert {'new-1', 'new-2'} <= set(remaining)
        assert conn.clear_expired_data(3600, 2) == 1
        assert sorted(ids(fetch(conn))) == ['new-1', 'new-2']
        assert conn.clear_expired_data(3600, 2) == 0

    def test_expiry_removes_traits_and_empty_types(self, conn):
        conn.record_events(_aged_events())
        conn.clear_expired_data(3600, None)
        assert list(conn.get_event_types()) == ['Mixed', 'New']
        assert list(conn.get_traits('Old')) == []
        assert list(conn.get_trait_types('Old')) == []
        assert trait_tuples(conn.get_traits('Mixed')) == [
            ('k', Trait.TEXT_TYPE, 'v4')]

    def test_nothing_old_enough(self, conn):
        conn.record_events(_aged_events())
        assert conn.clear_expired_data(100 * 86400, None) == 0
        assert len(fetch(conn)) == 5

    def test_empty_store(self, conn):
        assert conn.clear_expired_data(60, None) == 0

    def test_expired_message_id_can_be_recorded_again(self, conn):
        conn.record_events(_aged_events())
        conn.clear_expired_data(3600, None)
        result = conn.record_events([event('old-1', 'Again', utcnow())])
        assert list(result.created) == ['old-1']


class TestDelete:

    def test_delete_by_filter_returns_count(self, sample):
        assert sample.delete_events(storage.EventFilter(
            event_type='Foo')) == 2
        assert ids(fetch(sample)) == ['c', 'd', 'e', 'f']
        assert list(sample.get_traits('Foo')) == []
        assert list(sample.get_trait_types('Foo')) == []
        assert list(sample.get_event_types()) == ['Bar', 'Zoo']

    def test_delete_by_trait_filter(self, sample):
        count = sample.delete_events(storage.EventFilter(traits_filter=[
            {'key': 'size', 'op': 'ge', 'integer': 4}]))
        assert count == 2
        assert ids(fetch(sample)) == ['a', 'b', 'c', 'f']

    def test_delete_with_visibility(self, sample):
        count = sample.delete_events(storage.EventFilter(
            admin_proj='p1', event_type='Bar'))
        assert count == 1
        assert ids(fetch(sample)) == ['a', 'b', 'c', 'e', 'f']

    def test_delete_by_message_id(self, sample):
        assert sample.delete_events(storage.EventFilter(
            message_id='e')) == 1
        assert sample.delete_events(storage.EventFilter(
            message_id='e')) == 0
        assert 'e' not in ids(fetch(sample))

    def test_delete_nothing_matching(self, sample):
        assert sample.delete_events(storage.EventFilter(
            event_type='Nope')) == 0
        assert ids(fetch(sample)) == ALL_IDS

    def test_deleted_id_can_be_recorded_again(self, sample):
        sample.delete_events(storage.EventFilter(message_id='a'))
        result = sample.record_events([event('a', 'Reborn', T0)])
        assert list(result.created) == ['a']
        [got] = fetch(sample, message_id='a')
        assert got.event_type == 'Reborn'


def test_models_are_the_contract_ones():
    assert (Trait.NONE_TYPE, Trait.TEXT_TYPE, Trait.INT_TYPE,
            Trait.FLOAT_TYPE, Trait.DATETIME_TYPE) == (0, 1, 2, 3, 4)
    assert models.Event('m', 't', T0, [], {}).as_dict() == {
        'message_id': 'm', 'event_type': 't', 'generated': T0,
        'traits': [], 'raw': {}}
