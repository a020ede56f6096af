"""Defaults panko_clone sets in its libraries' options, where operators
look for them: in the sample configuration and in effect at run time.
"""

import pathlib
import subprocess
import sys

from panko_clone.api import health
from tests.helpers import make_conf

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent


def test_sample_config_shows_our_library_defaults(tmp_path):
    out = tmp_path / 'panko_clone.conf.sample'
    proc = subprocess.run(
        [str(BIN / 'oslo-config-generator'), '--config-file',
         str(ROOT / 'etc' / 'panko_clone-config-generator.conf'),
         '--output-file', str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = out.read_text().splitlines()
    assert '#enable_proxy_headers_parsing = true' in lines
    assert '#backends = %s' % health.NAME in lines


def test_library_defaults_apply_at_run_time():
    from panko_clone.api import app as api_app

    conf = make_conf('memory://')
    try:
        api_app.load_app(conf, 'panko+noauth')  # registers the options
        assert conf.oslo_middleware.enable_proxy_headers_parsing is True
        assert conf.healthcheck.backends == [health.NAME]
    finally:
        conf.reset()
