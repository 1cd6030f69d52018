"""Configuration options, loading and the list the sample and reference are made from."""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Iterable, Sequence

from oslo_config import cfg, types

# Databases Nimbus knows about; each gets a [<name>_database] group. A service
# adds its name here when it arrives.
# "api" is the compute API database (Nova's); "cell" the database of the
# cell a conductor or the all-in-one serves, "cell0" where unschedulable
# servers go. Further cells are named by their cell mappings.
DATABASES: tuple[str, ...] = ("identity", "placement", "image", "api", "cell", "cell0")

# Services `nimbus up` and `nimbus api` can serve, in mount order.
SERVICES: tuple[str, ...] = ("identity", "placement", "image", "compute")

# Services mounted unless [api] enabled_services says otherwise.
DEFAULT_SERVICES: tuple[str, ...] = ("identity", "placement", "image", "compute")

# Modules with a list_opts() of their service's option groups.
OPTION_MODULES: tuple[str, ...] = ("nimbus.identity.config", "nimbus.placement.config",
                                   "nimbus.image.config", "nimbus.common.rpc",
                                   "nimbus.common.clients", "nimbus.compute.config")

DEFAULT_OPTS = [
    cfg.StrOpt(
        "data_dir",
        default="nimbus-data",
        help="Directory where Nimbus keeps its files: SQLite databases, "
        "Fernet keys, the generated clouds.yaml. A relative path is taken "
        "from the working directory of the process.",
    ),
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this host as other services see it.",
    ),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.StrOpt(
        "log_file",
        help="Write the log to this file instead of standard error.",
    ),
    cfg.StrOpt(
        "region_name",
        default="RegionOne",
        help="Region the catalog entries of this deployment belong to.",
    ),
]

API_OPTS = [
    cfg.HostAddressOpt(
        "bind_host", default="127.0.0.1", help="Address the API server listens on."
    ),
    cfg.PortOpt("bind_port", default=8080, help="Port the API server listens on."),
    cfg.IntOpt(
        "workers",
        default=1,
        min=1,
        help="Number of API worker processes (`nimbus api` only; the "
        "all-in-one always runs one).",
    ),
    cfg.StrOpt(
        "public_url",
        help="Base URL clients reach the API server at, used for the "
        "catalog and for links. Defaults to http://<bind_host>:<bind_port>.",
    ),
    cfg.ListOpt(
        "enabled_services",
        default=list(DEFAULT_SERVICES),
        item_type=types.String(choices=SERVICES),
        help="Services this API server mounts, each under /<service>.",
    ),
    cfg.IntOpt(
        "max_request_body_size",
        default=114688,
        min=1024,
        help="Largest request body accepted, in bytes. Larger bodies get "
        "413. Streaming uploads (image data) are not limited by this.",
    ),
    cfg.StrOpt(
        "auth_strategy",
        default="nimbus",
        choices=[
            ("nimbus", "Validate tokens in-process against the identity "
             "database (requires the identity service in the same "
             "deployment)."),
            ("keystone", "Validate tokens with keystonemiddleware's "
             "auth_token against the identity service named in "
             "[keystone_authtoken] (an external Keystone, or a Nimbus "
             "identity API in another process)."),
        ],
        help="How services other than identity validate X-Auth-Token.",
    ),
    cfg.IntOpt(
        "token_cache_time",
        default=5,
        min=0,
        help="Seconds an in-process token validation result is reused. "
        "Revocations made in the same process take effect at once; those "
        "made in another process within this many seconds. 0 disables the "
        "cache.",
    ),
]


def _database_opts(name: str) -> list[cfg.Opt]:
    return [
        cfg.StrOpt(
            "connection",
            secret=True,
            help=f"SQLAlchemy URL of the {name} database, for example "
            f"postgresql+psycopg://user@host/{name} or "
            f"mysql+pymysql://user@host/{name}. Defaults to the SQLite file "
            f"{name}.sqlite in data_dir.",
        ),
        cfg.IntOpt(
            "max_pool_size",
            default=5,
            min=1,
            help="Connections kept open in the pool (PostgreSQL, MySQL).",
        ),
        cfg.IntOpt(
            "max_overflow",
            default=50,
            min=0,
            help="Connections allowed beyond max_pool_size under load.",
        ),
        cfg.IntOpt(
            "pool_timeout",
            default=30,
            min=1,
            help="Seconds to wait for a pooled connection before failing.",
        ),
        cfg.IntOpt(
            "connection_recycle_time",
            default=3600,
            min=1,
            help="Seconds after which a pooled connection is replaced.",
        ),
        cfg.IntOpt(
            "busy_timeout",
            default=30000,
            min=0,
            help="SQLite only: milliseconds a writer waits for the lock.",
        ),
    ]


def database_group(name: str) -> str:
    return f"{name}_database"


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Every option Nimbus defines, by group, for the sample and reference."""
    groups: list[tuple[str, list[cfg.Opt]]] = [
        ("DEFAULT", DEFAULT_OPTS),
        ("api", API_OPTS),
    ]
    for name in OPTION_MODULES:
        groups += importlib.import_module(name).list_opts()
    groups += [(database_group(name), _database_opts(name)) for name in DATABASES]
    # A module may add to a group another defined (rpc adds to [DEFAULT]).
    merged: dict[str, list[cfg.Opt]] = {}
    for group, opts in groups:
        merged.setdefault(group, []).extend(opts)
    return list(merged.items())


def make_conf(
    args: Sequence[str] = (),
    config_files: Iterable[str] = (),
    overrides: dict[str, dict[str, object]] | None = None,
) -> cfg.ConfigOpts:
    """A fresh ConfigOpts with every Nimbus option registered and loaded.

    Each server gets its own object (no global CONF), so that tests can run
    several clouds in one process.
    """
    conf = cfg.ConfigOpts()
    for group, opts in list_opts():
        conf.register_opts(opts, group=None if group == "DEFAULT" else group)
    from nimbus.common import policy

    policy.register_opts(conf)
    conf(
        list(args),
        project="nimbus",
        default_config_files=list(config_files),
        default_config_dirs=[],
        validate_default_values=True,
    )
    for group, values in (overrides or {}).items():
        for key, value in values.items():
            conf.set_override(key, value, group=None if group == "DEFAULT" else group)
    return conf


def data_dir(conf: cfg.ConfigOpts) -> str:
    return os.path.abspath(str(conf.data_dir))


def database_url(conf: cfg.ConfigOpts, name: str) -> str:
    url = conf[database_group(name)].connection
    if url:
        return str(url)
    return "sqlite:///" + os.path.join(data_dir(conf), f"{name}.sqlite")


def public_url(conf: cfg.ConfigOpts) -> str:
    if conf.api.public_url:
        return str(conf.api.public_url).rstrip("/")
    host = conf.api.bind_host
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{conf.api.bind_port}"
