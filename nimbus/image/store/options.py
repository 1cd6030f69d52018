"""Options of the image stores and of web-download, named as Glance names them."""

from __future__ import annotations

import os

from oslo_config import cfg, types

from nimbus.common.config import data_dir

STORE_TYPES = ("file", "http")

# The store that holds data uploaded by glance-direct (PUT .../stage) until it
# is imported. Glance reserves names beginning with os_glance_ for itself.
STAGING_STORE = "os_glance_staging_store"
RESERVED_PREFIX = "os_glance_"

STORE_OPTS: list[cfg.Opt] = [
    cfg.Opt(
        "enabled_backends",
        type=types.Dict(value_type=types.String(choices=STORE_TYPES)),
        default={"local": "file"},
        help="Image stores, as name:type pairs (types: file, http). Each store "
        "is configured in a group named after it, for example [local] "
        "filesystem_store_datadir. http stores are read-only: images can point "
        "at data there, never upload to them. Names beginning with os_glance_ "
        "are reserved.",
    ),
    cfg.StrOpt(
        "default_backend",
        default="local",
        help="Store that receives image data when a request names none; one "
        "of the names in enabled_backends.",
    ),
]

FILE_STORE_OPTS: list[cfg.Opt] = [
    cfg.StrOpt(
        "filesystem_store_datadir",
        help="Directory this store keeps image data in, one file per image. "
        "Unset: <[DEFAULT] data_dir>/images/<store name> (for the staging store "
        "os_glance_staging_store: <[DEFAULT] data_dir>/images/staging). It is "
        "created when missing. Give each store its own directory.",
    ),
    cfg.StrOpt(
        "store_description",
        default="",
        help="Description of this store shown to users by GET /v2/info/stores.",
    ),
]

HTTP_STORE_OPTS: list[cfg.Opt] = [
    cfg.BoolOpt(
        "https_insecure",
        default=False,
        help="Do not verify the TLS certificate of https locations. For test "
        "set-ups only.",
    ),
    cfg.StrOpt(
        "https_ca_certificates_file",
        help="File of CA certificates (PEM) trusted for https locations, "
        "instead of the system's.",
    ),
    cfg.FloatOpt(
        "http_store_timeout",
        default=60.0,
        min=1.0,
        help="Seconds to wait for a remote server to connect or send data "
        "before the read fails with 503.",
    ),
    cfg.StrOpt(
        "store_description",
        default="",
        help="Description of this store shown to users by GET /v2/info/stores.",
    ),
]

IMPORT_FILTERING_OPTS: list[cfg.Opt] = [
    cfg.ListOpt(
        "allowed_schemes",
        item_type=types.String(quotes=True),
        bounds=True,
        default=["http", "https"],
        help="URL schemes web-download may fetch. When set, disallowed_schemes "
        "is ignored. Only http and https can be fetched at all.",
    ),
    cfg.ListOpt(
        "disallowed_schemes",
        item_type=types.String(quotes=True),
        bounds=True,
        default=[],
        help="URL schemes web-download refuses; ignored when allowed_schemes "
        "is set.",
    ),
    cfg.ListOpt(
        "allowed_hosts",
        item_type=types.HostAddress(),
        bounds=True,
        default=[],
        help="Hosts (names or IP addresses, as written in the URL) web-download "
        "may fetch from; when set, every other host is refused and "
        "disallowed_hosts is ignored. A host listed here may resolve to "
        "loopback or private addresses, which are otherwise refused; "
        "link-local addresses (169.254.0.0/16, fe80::/10), the metadata "
        "addresses 169.254.169.254 and fd00:ec2::254, unspecified, multicast "
        "and reserved addresses stay refused whatever this says.",
    ),
    cfg.ListOpt(
        "disallowed_hosts",
        item_type=types.HostAddress(),
        bounds=True,
        default=[],
        help="Hosts web-download refuses; ignored when allowed_hosts is set.",
    ),
    cfg.ListOpt(
        "allowed_ports",
        item_type=types.Integer(min=1, max=65535),
        bounds=True,
        default=[80, 443],
        help="Ports web-download may connect to (a URL without a port uses its "
        "scheme's: 80 or 443). When set, disallowed_ports is ignored.",
    ),
    cfg.ListOpt(
        "disallowed_ports",
        item_type=types.Integer(min=1, max=65535),
        bounds=True,
        default=[],
        help="Ports web-download refuses; ignored when allowed_ports is set.",
    ),
    cfg.BoolOpt(
        "allow_private_networks",
        default=False,
        help="Let web-download fetch from private addresses (10.0.0.0/8, "
        "172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7 and other "
        "non-global ranges). Off: a URL whose host resolves to any such address "
        "is refused unless the host is named in allowed_hosts. Loopback and "
        "link-local addresses are not affected by this option.",
    ),
    cfg.IntOpt(
        "max_redirects",
        default=5,
        min=0,
        help="Redirects web-download follows; each target is checked against "
        "these rules like the first URL.",
    ),
]

_OPTS_BY_TYPE: dict[str, list[cfg.Opt]] = {"file": FILE_STORE_OPTS, "http": HTTP_STORE_OPTS}


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """The static groups, for the sample and reference. Per-store groups are
    named by the operator and registered by register_store_opts()."""
    return [("image", STORE_OPTS), ("import_filtering_opts", IMPORT_FILTERING_OPTS)]


def store_opts(store_type: str) -> list[cfg.Opt]:
    """Options of a store group of this type (for documentation and tests)."""
    return _OPTS_BY_TYPE[store_type]


def enabled_backends(conf: cfg.ConfigOpts) -> dict[str, str]:
    """name -> type of the configured stores, without the staging store."""
    return dict(conf.image.enabled_backends or {})


def register_store_opts(conf: cfg.ConfigOpts) -> None:
    """Register the group of every enabled store and of the staging store.

    Safe to call more than once on one ConfigOpts. Raises ValueError for a
    reserved store name.
    """
    conf.register_opts(STORE_OPTS, group="image")
    conf.register_opts(IMPORT_FILTERING_OPTS, group="import_filtering_opts")
    for name, store_type in enabled_backends(conf).items():
        if name.startswith(RESERVED_PREFIX):
            raise ValueError(f"Store name {name!r} is reserved (prefix {RESERVED_PREFIX}).")
        conf.register_opts(_OPTS_BY_TYPE[store_type], group=name)
    conf.register_opts(FILE_STORE_OPTS, group=STAGING_STORE)


def file_store_dir(conf: cfg.ConfigOpts, name: str) -> str:
    """Absolute data directory of the file store `name` (registered groups)."""
    configured = conf[name].filesystem_store_datadir
    if configured:
        return os.path.abspath(str(configured))
    leaf = "staging" if name == STAGING_STORE else name
    return os.path.join(data_dir(conf), "images", leaf)
