"""``/v2``: its descriptor and its resources."""

import pecan

from panko_clone.api.controllers.v2 import capabilities
from panko_clone.api.controllers.v2 import event_types
from panko_clone.api.controllers.v2 import events

VERSION = 'v2'
UPDATED = '2013-02-13T00:00:00Z'


def descriptor(base_url):
    """The version document entry for v2 under ``base_url``."""
    return {
        'id': VERSION,
        'status': 'stable',
        'updated': UPDATED,
        'links': [
            {'href': '%s/%s' % (base_url, VERSION), 'rel': 'self'},
            {'href': 'https://docs.openstack.org/', 'rel': 'describedby',
             'type': 'text/html'},
        ],
        'media-types': [
            {'base': 'application/json',
             'type': 'application/vnd.openstack.telemetry-%s+json'
                     % VERSION},
            {'base': 'application/xml',
             'type': 'application/vnd.openstack.telemetry-%s+xml'
                     % VERSION},
        ],
    }


class V2Controller:
    """The v2 API root."""

    events = events.EventsController()
    event_types = event_types.EventTypesController()
    capabilities = capabilities.CapabilitiesController()

    @pecan.expose('json')
    def index(self):
        return {'version': descriptor(pecan.request.application_url)}
