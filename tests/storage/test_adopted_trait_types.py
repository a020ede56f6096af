"""Trait names and values of an adopted Panko database.

Panko had no summary of trait names per event type; the migration that
adds one fills it from the adopted rows, so the event-type endpoints
answer for old events exactly as for new ones.
"""

import pytest

from panko_clone import storage
from panko_clone.storage import models
from tests import conftest
from tests.storage import test_panko_adoption as adoption

T = models.Trait


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    """Adoption concerns the SQL back ends only."""
    return conftest.sql_backend(request)


def test_adopted_trait_types_and_values(db_url, tmp_path):
    adoption.build_panko_database(db_url, stamp=True)
    adoption.dbsync(db_url, tmp_path)
    conn = storage.get_connection_from_config(conftest.make_conf(db_url))
    created = 'compute.instance.create.end'
    assert [(t['name'], t['data_type'])
            for t in conn.get_trait_types(created)] == [
        ('project_id', T.TEXT_TYPE), ('state', T.TEXT_TYPE),
        ('user_id', T.TEXT_TYPE), ('memory_mb', T.INT_TYPE),
        ('cpu_util', T.FLOAT_TYPE), ('launched_at', T.DATETIME_TYPE)]
    assert [t.value for t in conn.get_traits(created, 'project_id')] == [
        'p1', 'p2']
    assert list(conn.get_trait_types('identity.user.created')) == []
