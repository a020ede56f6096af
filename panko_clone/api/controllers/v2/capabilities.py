"""``/v2/capabilities``: what the configured storage driver can do."""

import pecan
from pecan import rest
from wsme import types as wtypes
import wsmeext.pecan as wsme_pecan


def flatten(capabilities, prefix=''):
    """``{'a': {'b': True}}`` -> ``{'a:b': True}``."""
    flat = {}
    for key, value in capabilities.items():
        name = '%s:%s' % (prefix, key) if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


class Capabilities(wtypes.Base):
    """The API's and the storage's capabilities, as flat dicts."""

    api = {wtypes.text: bool}
    "What the API can do with the configured storage"

    event_storage = {wtypes.text: bool}
    "Properties of the storage itself"

    @classmethod
    def sample(cls):
        return cls(api={'events:query:simple': True},
                   event_storage={'storage:production_ready': True})


class CapabilitiesController(rest.RestController):
    """Capabilities need no identity: they describe the service."""

    @wsme_pecan.wsexpose(Capabilities)
    def get(self):
        conn = pecan.request.conn
        return Capabilities(
            api=flatten(conn.get_capabilities()),
            event_storage=flatten(conn.get_storage_capabilities()))
