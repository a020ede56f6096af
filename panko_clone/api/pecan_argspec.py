"""pecan's argspec helper, without a class built on every call.

pecan (1.8 and earlier) asks for the argspec of the routed controller
about a dozen times per request, and its ``pecan.compat.getargspec``
creates a new ``namedtuple`` class each time (``eval`` of the class
source included): well over a millisecond of CPU per request, as much
as showing an event costs otherwise. :func:`install` hands pecan the
same answer built from one class defined here.

Even so, ``inspect.getfullargspec`` builds a full signature each time,
a dozen times a request for the same few controller functions; each
answer is kept on the function it describes (a function's signature is
fixed when it is defined), so only the first request pays for it.
"""

import collections
import inspect
import types

import pecan.util

# The one class of every answer: (args, varargs, keywords, defaults).
ArgSpec = collections.namedtuple('ArgSpec', 'args varargs keywords defaults')


# Where an answer is kept, in the described function's ``__dict__``.
KEPT_ATTR = '_panko_clone_argspec'


def getargspec(func):
    """pecan's four-field argspec of ``func``, from the full one.

    A bound method has the argspec of its function (``self`` included),
    so the answer is kept there: bound methods are made anew on every
    attribute access. Any other callable (a class, a partial) is
    answered every time.
    """
    described = getattr(func, '__func__', func)
    kept = (described.__dict__
            if isinstance(described, types.FunctionType) else None)
    if kept is not None:
        spec = kept.get(KEPT_ATTR)
        if spec is not None:
            return spec
    full = inspect.getfullargspec(func)
    spec = ArgSpec(full.args, full.varargs, full.varkw, full.defaults)
    if kept is not None:
        kept[KEPT_ATTR] = spec
    return spec


def install():
    """Make pecan's routing use :func:`getargspec`; idempotent.

    ``pecan.util.getargspec`` (what routing, ``RestController`` and
    ``expose`` call) reaches the compat helper through this name only.
    """
    pecan.util._getargspec = getargspec
