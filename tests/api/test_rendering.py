"""API objects render exactly as WSME's generic code renders them.

The API builds its ``Event``/``Trait``/``Statistics`` objects without
WSME's validation and renders them with functions of its own
(``wsme_fast``); these tests hold those shortcuts to WSME's own output,
byte for byte, in JSON and in XML, so a change on either side shows
here. No storage is involved.
"""

import datetime
import json

import pytest
from wsme import types as wtypes
from wsme.rest import json as wsme_json
from wsme.rest import xml as wsme_xml

from panko_clone.api import json_renderer
from panko_clone.api.controllers.v2 import events
from panko_clone.api.controllers.v2 import statistics
from panko_clone.api.controllers.v2 import wsme_fast
from tests.helpers import event

etree = wsme_fast.etree
Event, Trait = events.Event, events.Trait


def as_stored(stored):
    """``stored`` with its traits in the order storage hands them out."""
    stored.traits.sort(key=lambda t: (t.name, t.dtype))
    return stored


STORED = [as_stored(e) for e in [
    event('plain', 'compute.instance.update',
          datetime.datetime(2014, 1, 1, 5, 0, 0),
          {'host': 'node-1', 'vcpus': 4, 'load': 0.25,
           'launched_at': datetime.datetime(2014, 1, 1, 4, 0, 0, 6)},
          raw={'payload': {'state': 'building', 'n': [1, 2.5, None]}}),
    event('caf\u00e9 <&> "\U0001f600"', 'odd & <type>',
          datetime.datetime(2014, 1, 2, 5, 0, 0, 123456),
          {'z': 'caf\u00e9 <b>&amp;</b> \U0001f600', 'a': '', 'n': -5},
          raw={'unicode': 'caf\u00e9 \U0001f600', 'quote': '"\'<>&'}),
    event('bare', 'Bare', datetime.datetime(2014, 1, 3), None, raw=None),
]]


def validated(stored):
    """The API event built through WSME's validating constructor."""
    traits = sorted(stored.traits, key=lambda t: t.name)
    return Event(message_id=stored.message_id,
                 event_type=stored.event_type,
                 generated=stored.generated,
                 traits=[Trait(name=t.name,
                               value=events.trait_value_text(t.value),
                               type=t.get_name_by_type(t.dtype))
                         for t in traits],
                 raw=stored.raw if stored.raw is not None else {})


def generic_json(datatype, value):
    return json.dumps(wsme_json.tojson.default(datatype, value))


def generic_xml(datatype, value):
    return etree.tostring(wsme_xml.toxml.default(datatype, 'item', value))


@pytest.mark.parametrize('stored', STORED, ids=lambda e: e.event_type)
def test_trait_as_wsme_renders_it(stored):
    for trait in Event.from_model(stored).traits:
        assert json.dumps(events.trait_json(trait)) == generic_json(
            Trait, trait)
        assert etree.tostring(events.trait_xml('item', trait)) == (
            generic_xml(Trait, trait))


@pytest.mark.parametrize('stored', STORED, ids=lambda e: e.event_type)
def test_event_as_wsme_renders_it(stored):
    # WSME's generic event reaches the traits through the registered
    # trait renderers, which the test above holds to WSME's own.
    api_event = Event.from_model(stored)
    assert json.dumps(events.event_json(api_event)) == generic_json(
        Event, api_event)
    assert etree.tostring(events.event_xml('item', api_event)) == (
        generic_xml(Event, api_event))


@pytest.mark.parametrize('stored', STORED, ids=lambda e: e.event_type)
def test_unchecked_event_equals_validated_one(stored):
    fast, checked = Event.from_model(stored), validated(stored)
    for attr in ('message_id', 'event_type', 'generated', 'raw'):
        assert getattr(fast, attr) == getattr(checked, attr)
    assert [(t.name, t.value, t.type) for t in fast.traits] == [
        (t.name, t.value, t.type) for t in checked.traits]
    page_type = wtypes.registry.resolve_type([Event])
    for encode in (wsme_json.encode_result, wsme_xml.encode_result):
        assert encode([fast], page_type) == encode([checked], page_type)
        assert encode(fast, Event) == encode(checked, Event)


def test_nulls_as_wsme_renders_them():
    nulls = Event(message_id=None, event_type=None, generated=None,
                  traits=None, raw=None)
    assert json.dumps(events.event_json(nulls)) == generic_json(
        Event, nulls)
    assert etree.tostring(events.event_xml('item', nulls)) == (
        generic_xml(Event, nulls))
    trait = Trait(name=None, value=None, type=None)
    assert json.dumps(events.trait_json(trait)) == generic_json(
        Trait, trait)
    assert etree.tostring(events.trait_xml('item', trait)) == (
        generic_xml(Trait, trait))


def test_unset_attributes_are_left_out_as_wsme_does():
    partial = Event(message_id='m', traits=[Trait(name='n'), Trait()])
    assert json.loads(wsme_json.encode_result(partial, Event)) == {
        'message_id': 'm', 'traits': [{'name': 'n'}, {}]}
    assert wsme_xml.encode_result(partial, Event) == (
        b'<result><message_id>m</message_id><traits><item><name>n</name>'
        b'</item><item /></traits></result>')


def test_none_is_rendered_as_wsme_does():
    page_type = wtypes.registry.resolve_type([Event])
    assert wsme_json.encode_result([None], page_type) == '[null]'
    assert wsme_xml.encode_result([None], page_type) == (
        b'<result><item nil="true" /></result>')


def test_samples_render():
    sample = Event.sample()
    assert json.loads(wsme_json.encode_result(sample, Event)) == {
        'message_id': '94834db1-8f1b-404d-b2ec-c35901f1b7f0',
        'event_type': 'compute.instance.update',
        'generated': '2015-01-01T12:00:00',
        'traits': [{'name': 'service', 'value': 'compute.host-1',
                    'type': 'string'}],
        'raw': {'status': {'nested': 'started'}}}
    kind, xml = wsme_xml.encode_sample_value(Event, sample, format=True)
    assert kind == 'xml' and b'<name>service</name>' in xml


def test_stored_traits_read_as_api_traits():
    """What reads an event's traits as a sequence gets API traits."""
    api_event = Event.from_model(STORED[0])
    traits = api_event.traits
    expected = [(t.name, t.value, t.type)
                for t in validated(STORED[0]).traits]
    assert len(traits) == len(expected) == 4
    assert [(t.name, t.value, t.type) for t in traits] == expected
    assert all(isinstance(t, Trait) for t in traits)
    last = traits[-1]
    assert (last.name, last.value, last.type) == expected[-1]
    assert [(t.name, t.value, t.type) for t in traits[1:3]] == (
        expected[1:3])
    with pytest.raises(IndexError):
        traits[4]
    assert traits.json_data() == [
        dict(zip(('name', 'value', 'type'), e)) for e in expected]


def test_served_json_is_the_document_wsme_writes():
    """The renderer served as ``wsmejson`` writes WSME's JSON value.

    Spelled more tightly (no spaces, UTF-8 instead of ``\\u`` escapes),
    and by ``json.dumps`` where orjson cannot: an integer beyond 64 bits.
    """
    page_type = wtypes.registry.resolve_type([Event])
    page = [Event.from_model(stored) for stored in STORED]
    big = Event.from_model(event('big', 't', datetime.datetime(2014, 1, 1),
                                 {}, raw={'n': 2 ** 70}))
    render = json_renderer.JsonRenderer.render
    for result, datatype in ((page, page_type), (page[1], Event),
                             (big, Event), ([], page_type)):
        body = render('', {'result': result, 'datatype': datatype})
        assert json.loads(body.decode('utf-8')) == json.loads(
            wsme_json.encode_result(result, datatype))
    body = render('', {'result': page[1], 'datatype': Event})
    assert 'caf\u00e9 \U0001f600'.encode('utf-8') in body
    assert json.loads(render('', {'result': big, 'datatype': Event}))[
        'raw'] == {'n': 2 ** 70}


STATISTICS_RESULTS = [
    {'groupby': None, 'count': 3, 'period': 0,
     'period_start': datetime.datetime(2014, 1, 1, 5),
     'period_end': datetime.datetime(2014, 1, 2, 5, 0, 0, 250),
     'duration': 120.5,
     'duration_start': datetime.datetime(2014, 1, 1, 5, 1),
     'duration_end': datetime.datetime(2014, 1, 1, 5, 3, 0, 500000),
     'aggregate': {'count': 3, 'sum(memory_mb)': 2 ** 70,
                   'avg(load)': 0.25, 'max(load)': float('inf'),
                   'min(disk_gb)': None}},
    {'groupby': {'event_type': 'caf\u00e9 <&>', 'trait.host': None},
     'count': 1, 'period': 60,
     'period_start': datetime.datetime(2014, 1, 1),
     'period_end': datetime.datetime(2014, 1, 1, 0, 1),
     'duration': 0.0,
     'duration_start': datetime.datetime(2014, 1, 1, 0, 0, 7),
     'duration_end': datetime.datetime(2014, 1, 1, 0, 0, 7),
     'aggregate': {}},
    {'groupby': {}, 'count': 0, 'period': 0, 'period_start': None,
     'period_end': None, 'duration': None, 'duration_start': None,
     'duration_end': None, 'aggregate': {'count': 0}},
]


@pytest.mark.parametrize('result', STATISTICS_RESULTS,
                         ids=['aggregates', 'groupby', 'nulls'])
def test_statistics_as_wsme_builds_and_renders_them(result):
    Statistics = statistics.Statistics
    fast = Statistics.from_result(result)
    checked = Statistics(**result)
    assert json.dumps(statistics.statistics_json(fast)) == generic_json(
        Statistics, checked)
    page_type = wtypes.registry.resolve_type([Statistics])
    for encode in (wsme_json.encode_result, wsme_xml.encode_result):
        assert encode([fast], page_type) == encode([checked], page_type)
    # The aggregates are floats, as WSME's validation makes them.
    assert all(v is None or isinstance(v, float)
               for v in fast.aggregate.values())
