"""pecan's argspec helper, replaced by one that answers the same."""

import pecan.compat
import pecan.util
import pytest

from panko_clone.api import pecan_argspec
from panko_clone.api.controllers.v2 import events
from tests.helpers import make_conf


def plain(a, b=1, *args, **kwargs):
    pass


def keyword_only(self, *, q=None):
    pass


CONTROLLER = events.EventsController()


@pytest.mark.parametrize('func', [
    plain, keyword_only, lambda: None, CONTROLLER.get_all,
    CONTROLLER.get_one, CONTROLLER.post, CONTROLLER.delete,
    events.EventsController.get_all])
def test_same_answer_as_pecan(func, monkeypatch):
    ours, pecans = (pecan_argspec.getargspec(func),
                    pecan.compat.getargspec(func))
    assert ours == pecans
    assert ours._fields == pecans._fields
    # And through the decorators, as routing asks.
    monkeypatch.setattr(pecan.util, '_getargspec', pecan.compat.getargspec)
    drilled = pecan.util.getargspec(func)
    monkeypatch.setattr(pecan.util, '_getargspec', pecan_argspec.getargspec)
    assert pecan.util.getargspec(func) == drilled


def test_installed_by_setup_app():
    from panko_clone.api import app as api_app

    api_app.setup_app(make_conf('sqlite://'))
    assert pecan.util._getargspec is pecan_argspec.getargspec


def test_answer_kept_on_the_function(monkeypatch):
    """Asked again, through a new bound method, nothing is inspected."""
    controller = events.EventsController()
    first = pecan_argspec.getargspec(controller.get_one)

    def no_inspecting(func):
        raise AssertionError('inspected %r again' % (func,))

    monkeypatch.setattr(pecan_argspec.inspect, 'getfullargspec',
                        no_inspecting)
    assert pecan_argspec.getargspec(controller.get_one) is first
    assert pecan_argspec.getargspec(
        events.EventsController.get_one) is first


def test_other_callables_answered_each_time():
    """A class is not a function: its answer is not kept on it."""

    class Callable:
        def __init__(self, a, b=2):
            pass

    assert pecan_argspec.getargspec(Callable) == (['self', 'a', 'b'],
                                                  None, None, (2,))
    assert pecan_argspec.KEPT_ATTR not in vars(Callable)
