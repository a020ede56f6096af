"""Cheaper WSME complex types on the way out, same documents.

WSME sets every attribute of a complex type through a validating
descriptor and renders it through generic functions that dispatch on
the declared type of every value; for a page of a hundred events of a
dozen traits that was more than half of a listing's CPU. Values built
from the storage models already have their declared types, and the
shape of a rendered type is fixed, so:

- :func:`bare` makes an instance whose attributes are filled without
  validation;
- :func:`render_with` registers plain functions that render a type to
  JSON data and to an XML element, falling back to WSME's generic way
  for an instance they cannot render (an attribute left unset).

Both lean on WSME internals (the per-class data holder); the API tests
check the documents against WSME's generic rendering, so a WSME that
changed them fails there rather than in production.
"""

from wsme.rest import json as wsme_json
from wsme.rest import xml as wsme_xml

# ElementTree as WSME builds its documents with it.
etree = wsme_xml.et


def makers(cls):
    """(data holder class, instance maker) of ``cls``.

    For a loop that builds many instances as :func:`bare` does, without
    a call per instance: ``instance = new(cls)``, then its holder goes
    in ``instance._wsme_dataholder``.
    """
    return cls._wsme_DataHolderClass, cls.__new__


def bare(cls):
    """An instance of ``cls`` and its data holder, to fill as is.

    The attributes set on the holder are what the instance's
    descriptors read; nothing checks them, so only values already of
    the declared type may go there.
    """
    new_holder, new = makers(cls)
    holder = new_holder()
    instance = new(cls)
    instance._wsme_dataholder = holder
    return instance, holder


def held(instance):
    """``instance``'s data holder: AttributeError when it has none.

    An instance built with no attribute at all has none yet; the
    renderers then fall back to WSME's generic way.
    """
    return instance._wsme_dataholder


def render_with(cls, to_json, to_xml=None):
    """Render ``cls`` with ``to_json(value)`` and ``to_xml(key, value)``.

    They are registered with WSME's ``tojson``/``toxml`` for ``cls``
    itself (WSME looks a type up by identity first), so lists of
    ``cls`` and attributes of that type use them too. They may raise
    AttributeError for an instance with an unset attribute (or for
    None): WSME's generic rendering, which skips unset attributes,
    then renders it. Without ``to_xml``, XML stays generic.
    """

    @wsme_json.tojson.when_object(cls)
    def fast_tojson(datatype, value):
        try:
            return to_json(value)
        except AttributeError:
            return wsme_json.tojson.default(datatype, value)

    if to_xml is None:
        return

    @wsme_xml.toxml.when_object(cls)
    def fast_toxml(datatype, key, value):
        try:
            return to_xml(key, value)
        except AttributeError:
            return wsme_xml.toxml.default(datatype, key, value)


def isoformat(when):
    """A datetime as WSME writes one, in JSON as in XML."""
    return None if when is None else when.isoformat()


def text_element(parent, tag, text):
    """A child ``tag`` holding ``text``, as WSME writes a text value."""
    child = etree.SubElement(parent, tag)
    if text is None:
        child.set('nil', 'true')
    else:
        child.text = text
    return child
