"""``/``: the versions document, and the way into each version."""

import pecan

from panko_clone.api.controllers.v2 import root as v2_root


class VersionsController:
    """Only the versions document.

    The keystone pipeline serves ``/`` with this root, unauthenticated,
    so that nothing but the document is reachable without a token.
    """

    @pecan.expose('json')
    def index(self):
        base_url = pecan.request.application_url
        return {'versions': {'values': [v2_root.descriptor(base_url)]}}


class RootController(VersionsController):
    """The whole API."""

    v2 = v2_root.V2Controller()
