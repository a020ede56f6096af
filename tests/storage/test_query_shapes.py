"""Answers that the SQL driver computes along its faster paths.

The SQL driver answers some calls by routes that only pay off at scale:
trait names from a summary table that deletes leave stale, the admin
listing as two limited halves, several filters on one trait merged into
one range, a type's trait values merged from several tables. Each test
pins the answer those routes must give, on every back end, in the
situation where a shortcut would go wrong.
"""

import pytest

from panko_clone import storage
from tests.helpers import Trait, at, event, fetch, ids


def trait_types(conn, event_type):
    return [(t['name'], t['data_type'])
            for t in conn.get_trait_types(event_type)]


class TestTraitTypesAfterDeletes:

    def test_a_trait_whose_events_are_gone_is_not_listed(self, conn):
        conn.record_events([
            event('a1', 'A', at(), {'only_here': 1, 'shared': 'x'}),
            event('a2', 'A', at(seconds=1), {'shared': 'y'})])
        conn.delete_events(storage.EventFilter(message_id='a1'))
        assert trait_types(conn, 'A') == [('shared', Trait.TEXT_TYPE)]

    def test_a_trait_recorded_again_is_listed_again(self, conn):
        conn.record_events([event('a1', 'A', at(), {'n': 1})])
        conn.delete_events(storage.EventFilter(message_id='a1'))
        assert trait_types(conn, 'A') == []
        conn.record_events([event('a2', 'A', at(), {'n': 2.5})])
        assert trait_types(conn, 'A') == [('n', Trait.FLOAT_TYPE)]

    def test_a_type_dropped_and_recreated_keeps_only_new_traits(self, conn):
        conn.record_events([event('a1', 'A', at(), {'old': 1})])
        conn.delete_events(storage.EventFilter(event_type='A'))
        conn.record_events([event('a2', 'A', at(), {'new': 'v'})])
        assert trait_types(conn, 'A') == [('new', Trait.TEXT_TYPE)]
        assert list(conn.get_traits('A', 'old')) == []


class TestTraitValuesAcrossTypes:

    def test_one_name_in_two_types_comes_in_event_order(self, conn):
        conn.record_events([
            event('e3', 'T', at(seconds=3), {'v': 'late'}),
            event('e1', 'T', at(seconds=1), {'v': 'early'}),
            event('e2', 'T', at(seconds=2), {'v': 7}),
            event('e0', 'Other', at(), {'v': 1.5})])
        got = [(t.name, t.dtype, t.value) for t in conn.get_traits('T', 'v')]
        assert got == [('v', Trait.TEXT_TYPE, 'early'),
                       ('v', Trait.INT_TYPE, 7),
                       ('v', Trait.TEXT_TYPE, 'late')]

    def test_events_without_the_trait_are_skipped(self, conn):
        conn.record_events([
            event('e1', 'T', at(seconds=1), {'v': 1}),
            event('e2', 'T', at(seconds=2), {'w': 2}),
            event('e3', 'T', at(seconds=3), {'v': 3})])
        assert [t.value for t in conn.get_traits('T', 'v')] == [1, 3]


def owned_events():
    """Events of p1, p2 and no project, interleaved in time."""
    owners = ['p1', None, 'p2', 'p1', None, 'p1', 'p2', None, 'p1', None]
    events = []
    for i, owner in enumerate(owners):
        traits = {'n': i}
        if owner:
            traits['project_id'] = owner
        events.append(event('m%02d' % i, 'Foo', at(minutes=i), traits))
    return events


def pages(conn, size, sort=None, **filter_args):
    """Every page of ``size`` after the other, by marker."""
    seen, marker = [], None
    while True:
        page = fetch(conn, {'limit': size, 'marker': marker, 'sort': sort},
                     **filter_args)
        seen.extend(ids(page))
        if len(page) < size:
            return seen
        marker = page[-1].message_id


class TestAdminListing:

    EXPECTED = ['m00', 'm01', 'm03', 'm04', 'm05', 'm07', 'm08', 'm09']

    def test_own_project_and_unowned_in_order(self, conn):
        conn.record_events(owned_events())
        assert ids(fetch(conn, admin_proj='p1')) == self.EXPECTED
        assert ids(fetch(conn, {'limit': 3}, admin_proj='p1')) == (
            self.EXPECTED[:3])

    def test_paging_by_marker_visits_each_once(self, conn):
        conn.record_events(owned_events())
        for size in (1, 2, 3, 100):
            assert pages(conn, size, admin_proj='p1') == self.EXPECTED

    def test_paging_newest_first(self, conn):
        conn.record_events(owned_events())
        assert pages(conn, 3, sort=[('generated', 'desc')],
                     admin_proj='p1') == self.EXPECTED[::-1]

    def test_with_a_trait_filter(self, conn):
        conn.record_events(owned_events())
        got = fetch(conn, {'limit': 2}, admin_proj='p1', traits_filter=[
            {'key': 'n', 'op': 'ge', 'integer': 4}])
        assert ids(got) == ['m04', 'm05']

    def test_a_marker_the_caller_cannot_see_is_refused(self, conn):
        conn.record_events(owned_events())
        with pytest.raises(storage.InvalidMarker):
            fetch(conn, {'limit': 2, 'marker': 'm02'}, admin_proj='p1')


class TestFiltersOnOneTrait:

    def numbered(self, conn):
        conn.record_events([event('n%02d' % i, 'Foo', at(seconds=i),
                                  {'n': i, 'x': float(i)})
                            for i in range(1, 11)])

    def test_range_with_an_exclusion(self, conn):
        self.numbered(conn)
        got = fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'ge', 'integer': 2},
            {'key': 'n', 'op': 'le', 'integer': 8},
            {'key': 'n', 'op': 'ne', 'integer': 5}])
        assert ids(got) == ['n02', 'n03', 'n04', 'n06', 'n07', 'n08']

    def test_open_bounds_and_a_second_trait(self, conn):
        self.numbered(conn)
        got = fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'gt', 'integer': 3},
            {'key': 'n', 'op': 'lt', 'integer': 9},
            {'key': 'x', 'op': 'ge', 'float': 6.0}])
        assert ids(got) == ['n06', 'n07', 'n08']

    def test_same_name_other_type_is_a_separate_condition(self, conn):
        self.numbered(conn)
        got = fetch(conn, traits_filter=[
            {'key': 'n', 'op': 'ge', 'integer': 2},
            {'key': 'n', 'op': 'eq', 'string': '2'}])
        assert got == []


def tied_events():
    """Forty events in eight instants, five per instant: ties everywhere.

    ``host`` takes two values, ``n`` counts up, ``when`` is a datetime
    trait; a third of the events belong to project p1, a third to p2.
    """
    events = []
    for i in range(40):
        traits = {'host': 'h%d' % (i % 2), 'n': i,
                  'when': at(days=i), 'load': i / 4}
        if i % 3 < 2:
            traits['project_id'] = 'p%d' % (i % 3 + 1)
        # message ids deliberately out of step with time and insertion
        events.append(event('t%02d' % ((i * 17) % 40), 'Foo',
                            at(minutes=i // 5), traits))
    return events


def expected_order(events, keep, descending=False):
    chosen = [e for e in events if keep(e)]
    chosen.sort(key=lambda e: (e.generated, e.message_id),
                reverse=descending)
    return [e.message_id for e in chosen]


def value_of(ev, name):
    return next(t.value for t in ev.traits if t.name == name)


class TestTraitIndexWalk:
    """Listings that walk a trait's index in ``generated`` order.

    Every page boundary falls among events of the same instant, where
    the tie-breaker (message_id) decides, so a page cut by ``generated``
    alone would repeat or skip events.
    """

    FILTERS = {
        'eq text': ([{'key': 'host', 'op': 'eq', 'string': 'h1'}],
                    lambda e: value_of(e, 'host') == 'h1'),
        'int range': ([{'key': 'n', 'op': 'ge', 'integer': 7},
                       {'key': 'n', 'op': 'lt', 'integer': 33}],
                      lambda e: 7 <= value_of(e, 'n') < 33),
        'int eq and range': ([{'key': 'n', 'op': 'eq', 'integer': 12},
                              {'key': 'n', 'op': 'le', 'integer': 20}],
                             lambda e: value_of(e, 'n') == 12),
        'float ne': ([{'key': 'load', 'op': 'ne', 'float': 2.5}],
                     lambda e: value_of(e, 'load') != 2.5),
        'datetime range': ([{'key': 'when', 'op': 'gt',
                             'datetime': at(days=3)}],
                           lambda e: value_of(e, 'when') > at(days=3)),
        'two traits': ([{'key': 'n', 'op': 'gt', 'integer': 4},
                        {'key': 'host', 'op': 'eq', 'string': 'h0'}],
                       lambda e: value_of(e, 'n') > 4
                       and value_of(e, 'host') == 'h0'),
    }

    @pytest.mark.parametrize('name', sorted(FILTERS))
    @pytest.mark.parametrize('size', [1, 3, 4, 100])
    @pytest.mark.parametrize('direction', ['asc', 'desc'])
    def test_pages_visit_each_match_once_in_order(self, conn, name, size,
                                                  direction):
        events = tied_events()
        conn.record_events(events)
        traits_filter, keep = self.FILTERS[name]
        got = pages(conn, size, sort=[('generated', direction)],
                    traits_filter=traits_filter)
        assert got == expected_order(events, keep, direction == 'desc')

    @pytest.mark.parametrize('direction', ['asc', 'desc'])
    def test_mixed_directions_break_ties_as_asked(self, conn, direction):
        events = tied_events()
        conn.record_events(events)
        other = 'desc' if direction == 'asc' else 'asc'
        got = pages(conn, 3, sort=[('generated', direction),
                                   ('message_id', other)],
                    traits_filter=self.FILTERS['int range'][0])
        chosen = [e for e in events if self.FILTERS['int range'][1](e)]
        chosen.sort(key=lambda e: e.message_id, reverse=other == 'desc')
        chosen.sort(key=lambda e: e.generated, reverse=direction == 'desc')
        assert got == [e.message_id for e in chosen]

    def test_with_a_time_window(self, conn):
        events = tied_events()
        conn.record_events(events)
        start, end = at(minutes=2), at(minutes=5)
        got = pages(conn, 4, start_timestamp=start, end_timestamp=end,
                    traits_filter=self.FILTERS['eq text'][0])
        assert got == expected_order(
            events, lambda e: start <= e.generated <= end
            and value_of(e, 'host') == 'h1')

    def test_with_the_admin_rule(self, conn):
        events = tied_events()
        conn.record_events(events)
        got = pages(conn, 2, admin_proj='p1',
                    traits_filter=self.FILTERS['int range'][0])
        assert got == expected_order(
            events, lambda e: 7 <= value_of(e, 'n') < 33
            and 'p2' not in [t.value for t in e.traits])

    def test_sorted_by_message_id_first(self, conn):
        events = tied_events()
        conn.record_events(events)
        got = pages(conn, 3, sort=[('message_id', 'desc')],
                    traits_filter=self.FILTERS['eq text'][0])
        assert got == sorted(
            (e.message_id for e in events
             if value_of(e, 'host') == 'h1'), reverse=True)


class TestWideTraitRange:
    """A range matching more events than the SQL driver's probe counts
    (1,000) is walked in ``generated`` order; a narrow one is sorted."""

    @staticmethod
    def many_events():
        return [event('w%04d' % ((i * 7919) % 1200), 'Foo',
                      at(seconds=i // 3), {'n': i, 'f': float(i)})
                for i in range(1200)]

    @pytest.mark.parametrize('direction', ['asc', 'desc'])
    @pytest.mark.parametrize('name,dtype', [('n', 'integer'),
                                            ('f', 'float')])
    def test_wide_range_pages_in_order(self, conn, direction, name, dtype):
        events = self.many_events()
        conn.record_events(events)
        traits_filter = [{'key': name, 'op': 'ge', dtype: 100},
                         {'key': name, 'op': 'ne', dtype: 500}]
        got = pages(conn, 100, sort=[('generated', direction)],
                    traits_filter=traits_filter)
        assert got == expected_order(
            events, lambda e: value_of(e, name) >= 100
            and value_of(e, name) != 500, direction == 'desc')

    def test_narrow_range_on_the_same_store(self, conn):
        events = self.many_events()
        conn.record_events(events)
        got = pages(conn, 2, sort=[('generated', 'desc')], traits_filter=[
            {'key': 'n', 'op': 'gt', 'integer': 5},
            {'key': 'n', 'op': 'lt', 'integer': 12}])
        assert got == expected_order(
            events, lambda e: 5 < value_of(e, 'n') < 12, descending=True)
