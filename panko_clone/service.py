"""Builds the configuration object every entry point starts from."""

from oslo_config import cfg
from oslo_log import log
from oslo_policy import opts as policy_opts

from panko_clone import opts

PROJECT = 'panko_clone'

# Loggers quieter than oslo.log's defaults: alembic announces each of its
# plugins at INFO as it loads them, seven lines ahead of every dbsync's
# own account of the migrations.
QUIETER_LOGGERS = ('alembic.runtime.plugins=WARN',)


def prepare_service(argv=None, config_files=None, cli_opts=()):
    """Return a new ``ConfigOpts`` with every option registered.

    ``argv`` excludes the program name (as ``sys.argv[1:]``); ``None``
    means no command-line arguments at all, which is what a WSGI server
    or a test wants. ``cli_opts`` lets a command add its own flags.
    """
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    # On this ConfigOpts only, not oslo.log's process-wide defaults.
    conf.set_default('default_log_levels',
                     log.get_default_log_levels() + list(QUIETER_LOGGERS))
    opts.register_opts(conf)
    policy_opts.set_defaults(conf, policy_file='policy.yaml')
    opts.set_defaults()
    if cli_opts:
        conf.register_cli_opts(list(cli_opts))
    conf(argv if argv is not None else [],
         project=PROJECT,
         validate_default_values=True,
         default_config_files=config_files)
    log.setup(conf, PROJECT)
    return conf
