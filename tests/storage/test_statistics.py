"""Event statistics: the same answers from every back end.

Every test runs on sqlite, memory, postgresql and mysql (``conn``).
"""

import datetime

import pytest

from panko_clone import storage
from tests.helpers import at, event, flatten, sample_events


def stats(conn, period=None, groupby=(), aggregates=(), **filter_args):
    return conn.get_event_statistics(storage.EventFilter(**filter_args),
                                     period=period, groupby=groupby,
                                     aggregates=aggregates)


def brief(results):
    """(period_start, groupby, count) of each bucket, in order."""
    return [(r['period_start'], r['groupby'], r['count']) for r in results]


@pytest.fixture
def sample(conn):
    conn.record_events(sample_events())
    return conn


# Events for the aggregate tests:
#   id  type     generated  host  mem (int)  load (float)  mixed
#   m1  compute  T0         h1    1024       0.25          1 (int)
#   m2  compute  T0+10m     h1    2048       0.5           2.5 (float)
#   m3  compute  T0+20m     h2    4096       -            -
#   m4  volume   T0+30m     -     -          1.0           '3' (text)
def metric_events():
    return [
        event('m1', 'compute', at(), {'host': 'h1', 'mem': 1024,
                                      'load': 0.25, 'mixed': 1}),
        event('m2', 'compute', at(minutes=10), {'host': 'h1', 'mem': 2048,
                                                'load': 0.5,
                                                'mixed': 2.5}),
        event('m3', 'compute', at(minutes=20), {'host': 'h2',
                                                'mem': 4096}),
        event('m4', 'volume', at(minutes=30), {'load': 1.0,
                                               'mixed': '3'}),
    ]


@pytest.fixture
def metrics(conn):
    conn.record_events(metric_events())
    return conn


class TestShape:

    def test_empty_store(self, conn):
        assert stats(conn) == []
        assert stats(conn, period=60, groupby=['event_type'],
                     aggregates=[('count', None), ('avg', 'mem')]) == []

    def test_no_match(self, sample):
        assert stats(sample, event_type='Nope') == []
        assert stats(sample, period=3600, event_type='Nope') == []

    def test_count_over_everything(self, sample):
        assert stats(sample) == [{
            'groupby': None,
            'count': 6,
            'period': 0,
            'period_start': at(),
            'period_end': at(days=5),
            'duration': 5 * 86400.0,
            'duration_start': at(),
            'duration_end': at(days=5),
            'aggregate': {},
        }]

    def test_count_aggregate(self, sample):
        [result] = stats(sample, aggregates=[('count', None)])
        assert result['aggregate'] == {'count': 6}
        assert type(result['count']) is int
        assert type(result['duration']) is float

    def test_bounds_without_period_are_the_filter_bounds(self, sample):
        start = at(hours=-1)
        end = at(days=2, hours=12)
        assert stats(sample, start_timestamp=start,
                     end_timestamp=end) == [{
            'groupby': None,
            'count': 3,
            'period': 0,
            'period_start': start,
            'period_end': end,
            'duration': 2 * 86400.0,
            'duration_start': at(),
            'duration_end': at(days=2),
            'aggregate': {},
        }]

    def test_bounds_as_strings_and_aware(self, sample):
        [result] = stats(sample, start_timestamp='2014-01-01T06:00:00Z',
                         end_timestamp=datetime.datetime(
                             2014, 1, 3, 7, 0,
                             tzinfo=datetime.timezone(
                                 datetime.timedelta(hours=2))))
        assert result['period_start'] == datetime.datetime(2014, 1, 1, 6)
        assert result['period_end'] == datetime.datetime(2014, 1, 3, 5)
        assert result['period_start'].tzinfo is None
        assert result['count'] == 2

    def test_duration_keeps_microseconds(self, conn):
        conn.record_events([
            event('d1', generated=at(microseconds=250)),
            event('d2', generated=at(seconds=90, microseconds=750)),
        ])
        [result] = stats(conn)
        assert result['duration_start'] == at(microseconds=250)
        assert result['duration_end'] == at(seconds=90, microseconds=750)
        assert result['duration'] == pytest.approx(90.0005)

    def test_capabilities(self, conn):
        flat = flatten(conn.get_capabilities())
        for key in ('groupby', 'aggregation:standard',
                    'aggregation:selectable:count',
                    'aggregation:selectable:min',
                    'aggregation:selectable:max',
                    'aggregation:selectable:avg',
                    'aggregation:selectable:sum'):
            assert flat['events:statistics:' + key] is True, key


class TestPeriods:

    def test_origin_is_the_earliest_event(self, sample):
        results = stats(sample, period=2 * 86400)
        assert brief(results) == [(at(), None, 2),
                                  (at(days=2), None, 2),
                                  (at(days=4), None, 2)]
        first = results[0]
        assert first['period'] == 2 * 86400
        assert first['period_end'] == at(days=2)
        assert first['duration_start'] == at()
        assert first['duration_end'] == at(days=1)
        assert first['duration'] == 86400.0

    def test_empty_periods_are_left_out(self, sample):
        results = stats(sample, period=86400, start_timestamp=at(days=-3),
                        end_timestamp=at(days=1))
        assert brief(results) == [(at(), None, 1), (at(days=1), None, 1)]
        assert [r['period_end'] for r in results] == [at(days=1),
                                                      at(days=2)]

    def test_origin_is_the_start_timestamp(self, sample):
        start = at(hours=-6)
        results = stats(sample, period=86400, start_timestamp=start)
        assert brief(results) == [
            (start + datetime.timedelta(days=d), None, 1)
            for d in range(6)]
        assert results[3]['period_end'] == start + datetime.timedelta(
            days=4)
        assert results[3]['duration_start'] == at(days=3)
        assert results[3]['duration'] == 0.0

    def test_bucket_edges_to_the_microsecond(self, conn):
        conn.record_events([
            event('e0', generated=at()),
            event('e1', generated=at(seconds=59, microseconds=999999)),
            event('e2', generated=at(seconds=60)),
            event('e3', generated=at(seconds=119, microseconds=999999)),
            event('e4', generated=at(seconds=180, microseconds=1)),
        ])
        assert brief(stats(conn, period=60)) == [
            (at(), None, 2), (at(seconds=60), None, 2),
            (at(seconds=180), None, 1)]
        origin = at(microseconds=1)
        # e0 is before the start; e4 is exactly 180s after it
        assert brief(stats(conn, period=60, start_timestamp=origin)) == [
            (origin, None, 2),
            (origin + datetime.timedelta(seconds=60), None, 1),
            (origin + datetime.timedelta(seconds=180), None, 1)]

    def test_long_periods_are_floored_exactly(self, conn):
        # A day-long period: rounding in the database would put the
        # event a microsecond before midnight into the next day.
        conn.record_events([
            event('a', generated=at()),
            event('b', generated=at(days=1, microseconds=-1)),
            event('c', generated=at(days=1)),
        ])
        assert brief(stats(conn, period=86400)) == [
            (at(), None, 2), (at(days=1), None, 1)]

    def test_period_with_groups(self, sample):
        results = stats(sample, period=2 * 86400, groupby=['event_type'])
        assert brief(results) == [
            (at(), {'event_type': 'Foo'}, 2),
            (at(days=2), {'event_type': 'Bar'}, 2),
            (at(days=4), {'event_type': 'Zoo'}, 2)]

    def test_float_period_that_is_whole(self, sample):
        assert brief(stats(sample, period=172800.0)) == brief(
            stats(sample, period=172800))


class TestGroupBy:

    def test_event_type(self, sample):
        results = stats(sample, groupby=['event_type'])
        assert brief(results) == [
            (at(), {'event_type': 'Foo'}, 2),
            (at(days=2), {'event_type': 'Bar'}, 2),
            (at(days=4), {'event_type': 'Zoo'}, 2)]
        bar = results[1]
        assert (bar['period_end'], bar['duration']) == (at(days=3),
                                                        86400.0)

    def test_same_start_orders_by_group_value_none_last(self, sample):
        start = at(hours=-1)
        results = stats(sample, groupby=['trait.project_id'],
                        start_timestamp=start)
        assert brief(results) == [
            (start, {'trait.project_id': 'p1'}, 2),
            (start, {'trait.project_id': 'p2'}, 2),
            (start, {'trait.project_id': None}, 2)]

    def test_trait_of_every_type_rendered_as_text(self, sample):
        start = at(hours=-1)

        def groups(name):
            return [(r['groupby']['trait.' + name], r['count'])
                    for r in stats(sample, groupby=['trait.' + name],
                                   start_timestamp=start)]

        assert groups('size') == [('1', 1), ('2', 1), ('3', 1), ('4', 1),
                                  ('5', 1), (None, 1)]
        assert groups('ratio') == [('0.5', 1), ('1.5', 1), ('2.5', 1),
                                   ('3.5', 1), ('4.5', 1), (None, 1)]
        assert groups('when') == [
            ('2014-01-0%dT06:00:00' % d, 1) for d in range(1, 6)
        ] + [(None, 1)]
        assert groups('no_such_trait') == [(None, 6)]

    def test_two_fields(self, sample):
        results = stats(sample, groupby=['event_type', 'trait.user_id'])
        assert brief(results) == [
            (at(), {'event_type': 'Foo', 'trait.user_id': 'u1'}, 1),
            (at(days=1), {'event_type': 'Foo', 'trait.user_id': 'u2'}, 1),
            (at(days=2), {'event_type': 'Bar', 'trait.user_id': 'u1'}, 1),
            (at(days=3), {'event_type': 'Bar', 'trait.user_id': 'u3'}, 1),
            (at(days=4), {'event_type': 'Zoo', 'trait.user_id': 'u2'}, 1),
            (at(days=5), {'event_type': 'Zoo', 'trait.user_id': None}, 1)]

    def test_repeated_field_counts_once(self, sample):
        results = stats(sample, groupby=['event_type', 'event_type'])
        assert [r['groupby'] for r in results] == [
            {'event_type': 'Foo'}, {'event_type': 'Bar'},
            {'event_type': 'Zoo'}]

    def test_values_rendering_alike_share_a_group(self, conn):
        conn.record_events([
            event('t', traits={'k': '7'}, generated=at()),
            event('i', traits={'k': 7}, generated=at(minutes=1)),
            event('f', traits={'k': 7.5}, generated=at(minutes=2)),
        ])
        results = stats(conn, groupby=['trait.k'], start_timestamp=at())
        assert [(r['groupby'], r['count'], r['duration_end'])
                for r in results] == [
            ({'trait.k': '7'}, 2, at(minutes=1)),
            ({'trait.k': '7.5'}, 1, at(minutes=2))]

    def test_text_trait_wins_over_other_types_of_one_name(self, conn):
        conn.record_events([event('both', traits=[
            storage.models.Trait('k', storage.models.Trait.INT_TYPE, 5),
            storage.models.Trait('k', storage.models.Trait.TEXT_TYPE, 'x'),
        ])])
        [result] = stats(conn, groupby=['trait.k'])
        assert result['groupby'] == {'trait.k': 'x'}


class TestAggregates:

    def test_integer_trait(self, metrics):
        [result] = stats(metrics, aggregates=[
            ('min', 'mem'), ('max', 'mem'), ('sum', 'mem'),
            ('avg', 'mem'), ('count', None)])
        assert result['aggregate'] == {
            'min(mem)': 1024, 'max(mem)': 4096, 'sum(mem)': 7168,
            'avg(mem)': pytest.approx(7168 / 3), 'count': 4}
        aggregate = result['aggregate']
        assert list(aggregate) == ['min(mem)', 'max(mem)', 'sum(mem)',
                                   'avg(mem)', 'count']
        for key in ('min(mem)', 'max(mem)', 'sum(mem)'):
            assert type(aggregate[key]) is int, key
        assert type(aggregate['avg(mem)']) is float

    def test_float_trait(self, metrics):
        [result] = stats(metrics, aggregates=[
            ('min', 'load'), ('max', 'load'), ('sum', 'load'),
            ('avg', 'load')])
        assert result['aggregate'] == {
            'min(load)': 0.25, 'max(load)': 1.0, 'sum(load)': 1.75,
            'avg(load)': pytest.approx(1.75 / 3)}
        for value in result['aggregate'].values():
            assert type(value) is float

    def test_integers_and_floats_mixed_give_floats(self, metrics):
        # m1 has mixed=1 (int), m2 2.5 (float); m4's text '3' is ignored
        [result] = stats(metrics, aggregates=[
            ('min', 'mixed'), ('max', 'mixed'), ('sum', 'mixed'),
            ('avg', 'mixed')])
        assert result['aggregate'] == {
            'min(mixed)': 1.0, 'max(mixed)': 2.5, 'sum(mixed)': 3.5,
            'avg(mixed)': pytest.approx(1.75)}
        for value in result['aggregate'].values():
            assert type(value) is float

    def test_per_group_and_missing_trait(self, metrics):
        results = stats(metrics, groupby=['trait.host'],
                        start_timestamp=at(), aggregates=[
                            ('avg', 'mem'), ('sum', 'load'),
                            ('count', None)])
        assert [(r['groupby'], r['aggregate']) for r in results] == [
            ({'trait.host': 'h1'},
             {'avg(mem)': 1536.0, 'sum(load)': 0.75, 'count': 2}),
            ({'trait.host': 'h2'},
             {'avg(mem)': 4096.0, 'sum(load)': None, 'count': 1}),
            ({'trait.host': None},
             {'avg(mem)': None, 'sum(load)': 1.0, 'count': 1})]

    def test_per_period(self, metrics):
        results = stats(metrics, period=900, aggregates=[('max', 'mem'),
                                                         ('min', 'load')])
        assert [(r['period_start'], r['count'], r['aggregate'])
                for r in results] == [
            (at(), 2, {'max(mem)': 2048, 'min(load)': 0.25}),
            (at(minutes=15), 1, {'max(mem)': 4096, 'min(load)': None}),
            (at(minutes=30), 1, {'max(mem)': None, 'min(load)': 1.0})]

    def test_unknown_trait_gives_none(self, metrics):
        [result] = stats(metrics, aggregates=[('avg', 'nope'),
                                              ('sum', 'nope')])
        assert result['aggregate'] == {'avg(nope)': None,
                                       'sum(nope)': None}

    def test_large_integers_stay_exact(self, conn):
        big = 2 ** 53 + 1
        conn.record_events([event('b1', traits={'n': big}),
                            event('b2', traits={'n': big + 2},
                                  generated=at(seconds=1))])
        [result] = stats(conn, aggregates=[('sum', 'n'), ('min', 'n'),
                                           ('max', 'n'), ('avg', 'n')])
        assert result['aggregate'] == {
            'sum(n)': 2 * big + 2, 'min(n)': big, 'max(n)': big + 2,
            'avg(n)': float(big + 1)}
        assert type(result['aggregate']['sum(n)']) is int

    def test_integer_sums_past_64_bits(self, conn):
        # SQLite's own sum() fails here; PostgreSQL and MySQL widen.
        conn.record_events([
            event('o%d' % i, generated=at(seconds=i),
                  traits={'up': 2 ** 62 + i, 'down': -2 ** 63 + i})
            for i in range(4)])
        [result] = stats(conn, aggregates=[('sum', 'up'), ('sum', 'down'),
                                           ('avg', 'up'), ('min', 'down')])
        assert result['aggregate'] == {
            'sum(up)': 2 ** 64 + 6, 'sum(down)': -2 ** 65 + 6,
            'avg(up)': (2 ** 64 + 6) / 4, 'min(down)': -2 ** 63}

    def test_float_sum_past_the_largest_float(self, conn):
        # PostgreSQL's sum() fails here and MySQL's answers 0; the sum
        # is infinite, the average of the same values is not.
        conn.record_events([
            event('h%d' % i, generated=at(seconds=i),
                  traits={'load': 1.5e308, 'tiny': 0.25})
            for i in range(3)])
        [result] = stats(conn, aggregates=[('sum', 'load'),
                                           ('avg', 'load'),
                                           ('max', 'load'),
                                           ('sum', 'tiny')])
        assert result['aggregate'] == {
            'sum(load)': float('inf'), 'avg(load)': 1.5e308,
            'max(load)': 1.5e308, 'sum(tiny)': 0.75}

    def test_negative_and_zero(self, conn):
        conn.record_events([
            event('z1', traits={'v': -5, 'f': -0.5}),
            event('z2', traits={'v': 0, 'f': 0.0}, generated=at(seconds=1)),
        ])
        [result] = stats(conn, aggregates=[('min', 'v'), ('sum', 'v'),
                                           ('max', 'f'), ('sum', 'f')])
        assert result['aggregate'] == {'min(v)': -5, 'sum(v)': -5,
                                       'max(f)': 0.0, 'sum(f)': -0.5}

    def test_text_only_trait_is_refused(self, metrics):
        with pytest.raises(ValueError):
            stats(metrics, aggregates=[('avg', 'host')])

    def test_refusal_looks_at_matching_events_only(self, metrics):
        # 'mixed' is numeric in m1 and m2 but only text in volume's m4
        with pytest.raises(ValueError):
            stats(metrics, event_type='volume',
                  aggregates=[('sum', 'mixed')])
        [result] = stats(metrics, event_type='compute',
                         aggregates=[('sum', 'mixed')])
        assert result['aggregate'] == {'sum(mixed)': 3.5}

    def test_datetime_trait_is_refused(self, sample):
        with pytest.raises(ValueError):
            stats(sample, aggregates=[('max', 'when')])


class TestVisibility:

    AGGREGATES = [('count', None), ('sum', 'size')]

    def test_admin_project(self, sample):
        # p1's events plus d (no project_id) and f (no traits at all)
        [result] = stats(sample, admin_proj='p1',
                         aggregates=self.AGGREGATES)
        assert result['count'] == 4
        assert result['aggregate'] == {'count': 4, 'sum(size)': 7}
        results = stats(sample, admin_proj='p1',
                        groupby=['trait.project_id'],
                        start_timestamp=at())
        assert [(r['groupby'], r['count']) for r in results] == [
            ({'trait.project_id': 'p1'}, 2),
            ({'trait.project_id': None}, 2)]

    def test_project_and_user_filters(self, sample):
        traits_filter = [{'key': 'project_id', 'string': 'p2', 'op': 'eq'},
                         {'key': 'user_id', 'string': 'u1', 'op': 'eq'}]
        [result] = stats(sample, traits_filter=traits_filter,
                         aggregates=self.AGGREGATES)
        assert (result['count'], result['aggregate']) == (
            1, {'count': 1, 'sum(size)': 3})
        assert result['duration_start'] == at(days=2)

    def test_nothing_visible(self, sample):
        traits_filter = [{'key': 'project_id', 'string': 'p9'}]
        assert stats(sample, traits_filter=traits_filter, period=60,
                     aggregates=self.AGGREGATES) == []

    def test_trait_comparison_filters(self, sample):
        traits_filter = [{'key': 'size', 'integer': 3, 'op': 'ge'}]
        results = stats(sample, traits_filter=traits_filter,
                        groupby=['event_type'],
                        aggregates=[('max', 'ratio')])
        assert [(r['groupby'], r['count'], r['aggregate'])
                for r in results] == [
            ({'event_type': 'Bar'}, 2, {'max(ratio)': 3.5}),
            ({'event_type': 'Zoo'}, 1, {'max(ratio)': 4.5})]


class TestBadRequests:

    @pytest.mark.parametrize('aggregate', [
        ('median', 'size'), ('COUNT', None), ('', None), (None, None),
        ('avg', None), ('sum', ''), ('min', None), ('max', 3)])
    def test_bad_aggregate(self, sample, aggregate):
        with pytest.raises(ValueError):
            stats(sample, aggregates=[aggregate])

    def test_bad_aggregate_on_empty_store(self, conn):
        with pytest.raises(ValueError):
            stats(conn, aggregates=[('median', 'size')])

    @pytest.mark.parametrize('period', [0, -60, 1.5, '60', True])
    def test_bad_period(self, conn, period):
        with pytest.raises(ValueError):
            stats(conn, period=period)

    @pytest.mark.parametrize('groupby', [
        ['trait.'], ['project_id'], ['generated'], [None]])
    def test_bad_groupby(self, conn, groupby):
        with pytest.raises(ValueError):
            stats(conn, groupby=groupby)
