"""pecan's argspec helper, without a class built on every call.

pecan (1.8 and earlier) asks for the argspec of the routed controller
about a dozen times per request, and its ``pecan.compat.getargspec``
creates a new ``namedtuple`` class each time (``eval`` of the class
source included): well over a millisecond of CPU per request, as much
as showing an event costs otherwise. :func:`install` hands pecan the
same answer built from one class defined here.
"""

import collections
import inspect

import pecan.util

# The one class of every answer: (args, varargs, keywords, defaults).
ArgSpec = collections.namedtuple('ArgSpec', 'args varargs keywords defaults')


def getargspec(func):
    """pecan's four-field argspec of ``func``, from the full one."""
    full = inspect.getfullargspec(func)
    return ArgSpec(full.args, full.varargs, full.varkw, full.defaults)


def install():
    """Make pecan's routing use :func:`getargspec`; idempotent.

    ``pecan.util.getargspec`` (what routing, ``RestController`` and
    ``expose`` call) reaches the compat helper through this name only.
    """
    pecan.util._getargspec = getargspec
