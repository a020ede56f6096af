"""Who calls, what is stored, and what each caller must get back.

One table shared by the noauth and keystone pipelines' tests: a persona
is sent as identity headers to ``panko+noauth`` and as a token minted
with keystonemiddleware's ``AuthTokenFixture`` to ``panko+keystone``,
and both must answer it the same way (apart from a caller with no
identity at all, which authtoken turns away with 401 before the API
sees it).

Policy variants are the operator's ``policy.yaml``/``policy.json``
overrides the matrix also runs under, each with its own expectations.
"""

import dataclasses
import json

from keystoneauth1 import fixture as ks_fixture

from tests.helpers import at
from tests.helpers import event

# ------------------------------------------------------------- personas


@dataclasses.dataclass(frozen=True)
class Persona:
    name: str
    user: str | None = None
    project: str | None = None
    roles: tuple = ()
    system: bool = False
    domain: str | None = None

    def headers(self):
        """The identity headers the noauth pipeline trusts."""
        headers = {}
        if self.user:
            headers['X-User-Id'] = self.user
        if self.project:
            headers['X-Project-Id'] = self.project
        if self.domain:
            headers['X-Domain-Id'] = self.domain
        if self.roles:
            headers['X-Roles'] = ','.join(self.roles)
        if self.system:
            headers['OpenStack-System-Scope'] = 'all'
        return headers

    def token(self):
        """A Keystone v3 token body for this persona, or None."""
        if not self.user:
            return None
        if self.system:
            token = ks_fixture.V3Token(user_id=self.user)
            token.set_system_scope()
        elif self.domain:
            token = ks_fixture.V3Token(user_id=self.user,
                                       domain_id=self.domain)
        else:
            token = ks_fixture.V3Token(user_id=self.user,
                                       project_id=self.project)
        for role in self.roles:
            token.add_role(name=role)
        return token


# Keystone's default roles imply each other (admin > member > reader), so
# tokens carry all the implied roles; the noauth headers say the same.
ADMIN_ROLES = ('admin', 'member', 'reader')
MEMBER_ROLES = ('member', 'reader')

PERSONAS = {p.name: p for p in (
    Persona('project-admin', 'u-admin', 'p1', ADMIN_ROLES),
    Persona('project-member', 'u-member', 'p1', MEMBER_ROLES),
    Persona('project-reader', 'u-reader', 'p1', ('reader',)),
    Persona('system-admin', 'u-sysadmin', None, ADMIN_ROLES, system=True),
    Persona('system-reader', 'u-sysreader', None, ('reader',),
            system=True),
    Persona('service', 'u-ceilometer', 'p-service', ('service',)),
    # Scope the rules do not accept: no project, not system.
    Persona('domain-admin', 'u-domadmin', None, ADMIN_ROLES,
            domain='d1'),
    Persona('anonymous'),
)}

# ----------------------------------------------------------- the events

#   id  type              project    user          host  size
#   e1  compute.start     p1         u-member      h1    1
#   e2  compute.start     p1         u-reader      h2    2
#   e3  compute.end       p2         u-other       h1    -
#   e4  identity.created  -          u-member      h3    -
#   e5  compute.end       p1         u-admin       -     -
#   e6  compute.start     p-service  u-ceilometer  h4    6
#   e7  compute.end       p1         -             h5    -
_ROWS = [
    ('e1', 'compute.start', 'p1', 'u-member', 'h1', 1),
    ('e2', 'compute.start', 'p1', 'u-reader', 'h2', 2),
    ('e3', 'compute.end', 'p2', 'u-other', 'h1', None),
    ('e4', 'identity.created', None, 'u-member', 'h3', None),
    ('e5', 'compute.end', 'p1', 'u-admin', None, None),
    ('e6', 'compute.start', 'p-service', 'u-ceilometer', 'h4', 6),
    ('e7', 'compute.end', 'p1', None, 'h5', None),
]
ALL = [row[0] for row in _ROWS]
EVENT_TYPE_OF = {row[0]: row[1] for row in _ROWS}
P1 = ['e1', 'e2', 'e5', 'e7']

EVENT_TYPES = ['compute.end', 'compute.start', 'identity.created']
TRAITS_TYPE = 'compute.start'
# Ordered by type (string before integer), then name.
TRAIT_DESCRIPTIONS = [
    {'name': 'host', 'type': 'string'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'user_id', 'type': 'string'},
    {'name': 'size', 'type': 'integer'},
]
TRAIT_NAME = 'host'
TRAIT_VALUES = [{'name': 'host', 'type': 'string', 'value': v}
                for v in ('h1', 'h2', 'h4')]


def stored_events():
    events = []
    for hour, (mid, etype, project, user, host, size) in enumerate(_ROWS):
        values = {'project_id': project, 'user_id': user, 'host': host,
                  'size': size}
        traits = {k: v for k, v in values.items() if v is not None}
        events.append(event(mid, etype, at(hours=hour), traits,
                            raw={'id': mid}))
    return events


# --------------------------------------------------------- expectations


@dataclasses.dataclass(frozen=True)
class Expect:
    """What one persona gets under one policy.

    ``visible``: the events a listing shows (and show finds);
    ``unrestricted``: passes segregation, so may use all_tenants and
    the event type endpoints; ``index``/``show``: passes those rules.
    ``identity``: False for a caller the API cannot place (no user, or
    neither a project nor system scope), which is refused outright.
    """

    visible: tuple = ()
    unrestricted: bool = False
    index: bool = True
    show: bool = True
    identity: bool = True


NO_IDENTITY = Expect(identity=False, index=False, show=False)

DEFAULT = {
    'project-admin': Expect(('e1', 'e2', 'e4', 'e5', 'e7'), True),
    'project-member': Expect(('e1',)),
    'project-reader': Expect(('e2',)),
    'system-admin': Expect(tuple(ALL), True),
    'system-reader': Expect(tuple(ALL), True),
    'service': Expect(('e6',)),
    'domain-admin': NO_IDENTITY,
    'anonymous': NO_IDENTITY,
}


@dataclasses.dataclass(frozen=True)
class Variant:
    """An operator's policy file and what it changes."""

    name: str
    filename: str = ''
    content: str = ''
    changes: dict = dataclasses.field(default_factory=dict)

    def expect(self, persona):
        return self.changes.get(persona, DEFAULT[persona])

    def write(self, directory):
        """The policy file in ``directory``; its path (None: defaults)."""
        if not self.filename:
            return None
        path = directory / self.filename
        path.write_text(self.content)
        return str(path)


VARIANTS = {v.name: v for v in (
    Variant('defaults'),
    # The README's example: project readers (and so members, who are
    # readers too) see all of their project's events, not only their
    # own user's; still not those of no project, nor all_tenants.
    Variant('readers-whole-project', 'policy.yaml',
            '"telemetry:events:whole_project": "role:reader"\n',
            {'project-member': Expect(tuple(P1)),
             'project-reader': Expect(tuple(P1))}),
    # Panko 10's segregation (system scope only), as an override: a
    # project admin is then restricted to its own events, and a system
    # reader, having no project, sees none.
    Variant('system-only-segregation', 'policy.yaml',
            'segregation: "role:admin and system_scope:all"\n',
            {'project-admin': Expect(('e5',)),
             'system-reader': Expect(())}),
    # JSON works as well as YAML: nobody lists, only admins show.
    Variant('deny-index', 'policy.json',
            json.dumps({'telemetry:events:index': '!',
                        'telemetry:events:show': 'rule:context_is_admin'}),
            {'project-admin': Expect(DEFAULT['project-admin'].visible,
                                     True, index=False),
             'project-member': Expect(('e1',), index=False, show=False),
             'project-reader': Expect(('e2',), index=False, show=False),
             'system-admin': Expect(tuple(ALL), True, index=False),
             'system-reader': Expect(tuple(ALL), True, index=False,
                                     show=False),
             'service': Expect(('e6',), index=False, show=False)}),
)}
