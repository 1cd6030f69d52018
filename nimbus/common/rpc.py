"""RPC between services over oslo.messaging: transports, versioned clients, servers.

One path for the all-in-one and scale-out: ``local://`` (the default, see
nimbus.common.local_rpc) joins clients and servers of one process;
``rabbit://`` joins processes. The local driver keeps its queues in the
transport object, so the transport is cached per process and URL: two
services of one process only meet if they share it.

An RPC API is a subclass of :class:`RPCAPI` whose ``HISTORY`` lists every
version with the methods it added and the object versions it carries. The
client sends at the newest version the ``[upgrade_levels]`` cap allows,
refuses a method the cap does not reach, and backports objects to what that
version carries. Servers are :func:`start_server` with endpoints whose
``target`` says the version they implement.

Request contexts travel without the token: a receiver knows who asked
(user, project, domains, roles, request ids) but cannot act as the caller
towards other services. An API that must (say, to fetch an image with the
user's rights) sets ``CARRIES_TOKEN = True``; the token then sits in the
broker's queues in clear, which is why it is not the default.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from oslo_config import cfg
from oslo_utils import versionutils

from nimbus.common.context import AuthInfo, RequestContext
from nimbus.common.messaging import oslo_messaging
from nimbus.common.objects import NimbusObjectSerializer

LOG = logging.getLogger(__name__)

# In one process: nimbus.common.local_rpc's driver (see there why not fake://).
DEFAULT_TRANSPORT_URL = "local://"
CONTROL_EXCHANGE = "nimbus"

# NOTE: oslo.messaging registers its own [DEFAULT] transport_url on the
# configuration when it builds a transport, and refuses a differing one of
# ours, so the all-in-one default is set on its option (and
# control_exchange through its public set_transport_defaults).
oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
cfg.set_defaults(oslo_messaging.transport._transport_opts, transport_url=DEFAULT_TRANSPORT_URL)

# Names of the RPC APIs; each gets an option in [upgrade_levels].
API_NAMES: tuple[str, ...] = ("compute", "conductor", "scheduler")

UPGRADE_LEVELS_GROUP = "upgrade_levels"


def _upgrade_level_opt(name: str) -> cfg.Opt:
    return cfg.StrOpt(
        name,
        help=f"Highest version of the {name} RPC API this service sends, for a "
        f"rolling upgrade where some {name} services still run the previous "
        "release: a version such as 1.2, or `auto` (for now the newest; later "
        "the oldest version a running service reports). Unset: the newest.",
    )


UPGRADE_LEVELS_OPTS = [_upgrade_level_opt(name) for name in API_NAMES]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """[DEFAULT] messaging options and [oslo_messaging_rabbit] (oslo.messaging's own
    definitions, with Nimbus's defaults) and [upgrade_levels]."""
    library = {group: opts for group, opts in oslo_messaging.opts.list_opts()}
    return [
        ("DEFAULT", list(library[None])),
        ("oslo_messaging_rabbit", list(library["oslo_messaging_rabbit"])),
        (UPGRADE_LEVELS_GROUP, list(UPGRADE_LEVELS_OPTS)),
    ]


# --- errors -----------------------------------------------------------------

class RPCError(Exception):
    """Base of the RPC errors of this module."""


class RPCVersionCapExceeded(RPCError):
    """A method needs a newer RPC API version than the cap allows."""

    def __init__(self, api: str, method: str, needed: str, cap: str) -> None:
        super().__init__(
            f"{api} RPC method {method!r} needs API version {needed} but "
            f"[{UPGRADE_LEVELS_GROUP}] caps the {api} API at {cap}: the "
            f"receiving services are too old for it")
        self.api, self.method, self.needed, self.cap = api, method, needed, cap


class UnknownRPCMethod(RPCError):
    """A method that no version of the API declares (a programming error)."""


# Modules whose exceptions a caller re-raises as themselves when a server
# raises them (others arrive as oslo_messaging.RemoteError). Shared with the
# transports, so a module added later still counts.
_ALLOWED_REMOTE_EXMODS: list[str] = [__name__]


def allow_remote_exceptions(*modules: str) -> None:
    """Let exceptions of `modules` cross RPC as their own classes."""
    for module in modules:
        if module not in _ALLOWED_REMOTE_EXMODS:
            _ALLOWED_REMOTE_EXMODS.append(module)


# --- transports -------------------------------------------------------------

_TRANSPORTS: dict[tuple[str, str], Any] = {}
_TRANSPORTS_LOCK = threading.Lock()


def get_transport(conf: cfg.ConfigOpts, url: str | None = None) -> Any:
    """The process's transport for `url` (default: conf's transport_url) and
    control_exchange. Cells v2 gives each cell a URL of its own."""
    url = url or str(conf.transport_url)
    key = (url, str(conf.control_exchange))
    with _TRANSPORTS_LOCK:
        transport = _TRANSPORTS.get(key)
        if transport is None:
            _register_hidden_opts(conf)
            transport = oslo_messaging.get_rpc_transport(
                conf, url=url, allowed_remote_exmods=_ALLOWED_REMOTE_EXMODS)
            _TRANSPORTS[key] = transport
        return transport


def _register_hidden_opts(conf: cfg.ConfigOpts) -> None:
    # NOTE: oslo.messaging reads [oslo_messaging_metrics] (and, from 18.3,
    # [oslo_messaging_tracing]) from the transport's configuration on every
    # call, but registers those options on the global cfg.CONF only, so a call
    # over a ConfigOpts of our own fails with NoSuchOptError. Register them
    # (defaults: off) where they are read, as the library's own ConfFixture does.
    for module, group in (("_metrics", "oslo_messaging_metrics"),
                          ("_tracing", "oslo_messaging_tracing")):
        client = getattr(getattr(oslo_messaging, module, None), "client", None)
        opts = getattr(client, group, None)
        if opts:
            conf.register_opts(opts, group=group)


def cleanup() -> None:
    """Close every cached transport (at process exit, or between tests)."""
    with _TRANSPORTS_LOCK:
        transports = list(_TRANSPORTS.values())
        _TRANSPORTS.clear()
    for transport in transports:
        transport.cleanup()


# --- request contexts -------------------------------------------------------

_AUTH_TUPLES = frozenset({"roles", "role_ids", "methods", "audit_ids"})
_AUTH_TIMES = frozenset({"expires_at", "issued_at"})
_AUTH_FIELDS = frozenset(f.name for f in dataclasses.fields(AuthInfo))


def context_to_dict(ctxt: RequestContext, with_token: bool = False) -> dict[str, Any]:
    """What a receiver learns about the caller; the token only `with_token`."""
    data: dict[str, Any] = {
        "request_id": ctxt.request_id,
        "global_request_id": ctxt.global_request_id,
        "is_admin": ctxt.is_admin,
    }
    if ctxt.auth is not None:
        auth: dict[str, Any] = {}
        for name in _AUTH_FIELDS:
            value = getattr(ctxt.auth, name)
            if name in _AUTH_TUPLES:
                value = list(value)
            elif name in _AUTH_TIMES and value is not None:
                value = value.isoformat()
            auth[name] = value
        data["auth"] = auth
    if with_token and ctxt.auth_token:
        data["auth_token"] = ctxt.auth_token
    return data


def context_from_dict(data: Mapping[str, Any]) -> RequestContext:
    """The RequestContext a sender described; keys it does not know are ignored
    (a newer sender may add some), missing ones take their defaults."""
    auth = None
    if data.get("auth") is not None:
        values: dict[str, Any] = {}
        for name, value in data["auth"].items():
            if name not in _AUTH_FIELDS:
                continue
            if name in _AUTH_TUPLES:
                value = tuple(value)
            elif name in _AUTH_TIMES and value is not None:
                value = datetime.datetime.fromisoformat(value)
            values[name] = value
        auth = AuthInfo(**values)
    return RequestContext(
        request_id=str(data["request_id"]),
        global_request_id=data.get("global_request_id"),
        auth=auth,
        auth_token=data.get("auth_token"),
        is_admin=bool(data.get("is_admin", False)),
    )


class RPCSerializer(NimbusObjectSerializer):
    """Objects (backported to `manifest`) and RequestContexts for the wire."""

    def __init__(self, manifest: Mapping[str, str] | None = None,
                 with_token: bool = False) -> None:
        super().__init__(manifest)
        self.with_token = with_token

    def serialize_context(self, ctxt: RequestContext) -> dict[str, Any]:
        if not isinstance(ctxt, RequestContext):
            raise TypeError(f"RPC needs a RequestContext, not {type(ctxt).__name__}")
        return context_to_dict(ctxt, self.with_token)

    def deserialize_context(self, ctxt: Mapping[str, Any]) -> RequestContext:
        return context_from_dict(ctxt)


# --- clients ----------------------------------------------------------------

def _vt(version: str) -> tuple[int, ...]:
    return versionutils.convert_version_to_tuple(version)


@dataclasses.dataclass(frozen=True)
class APIVersion:
    """One version of an RPC API: what it added, and the object versions it carries."""

    version: str
    note: str
    methods: tuple[str, ...] = ()
    # object name -> the newest version of it receivers of this API version
    # understand; an entry holds until a later APIVersion names the object.
    objects: Mapping[str, str] = dataclasses.field(default_factory=dict)


class RPCAPI:
    """Base of the client side of an RPC API.

    Subclasses set NAME (its [upgrade_levels] option), TOPIC and HISTORY,
    oldest first, and call :meth:`call` / :meth:`cast`, or :meth:`prepare`
    to address one server or pick a version.
    """

    NAME: ClassVar[str]
    TOPIC: ClassVar[str]
    HISTORY: ClassVar[Sequence[APIVersion]]
    CARRIES_TOKEN: ClassVar[bool] = False

    def __init__(self, conf: cfg.ConfigOpts, topic: str | None = None,
                 transport_url: str | None = None) -> None:
        self.topic = topic or self.TOPIC
        self.transport = get_transport(conf, transport_url)
        self.timeout = float(conf.rpc_response_timeout)
        self.version_cap = self._resolve_cap(conf)
        self._prepared: dict[tuple[str, str | None, bool, float], PreparedCall] = {}

    @classmethod
    def version(cls) -> str:
        """The newest version of this API (what its servers implement)."""
        return cls.HISTORY[-1].version

    @classmethod
    def method_version(cls, method: str) -> str:
        """The version that added `method`."""
        for entry in cls.HISTORY:
            if method in entry.methods:
                return entry.version
        raise UnknownRPCMethod(f"no version of the {cls.NAME} RPC API has {method!r}")

    @classmethod
    def manifest(cls, version: str) -> dict[str, str]:
        """Object name -> version, for what receivers of `version` understand."""
        objects: dict[str, str] = {}
        for entry in cls.HISTORY:
            if _vt(entry.version) > _vt(version):
                break
            objects.update(entry.objects)
        return objects

    def _resolve_cap(self, conf: cfg.ConfigOpts) -> str:
        newest = self.version()
        group = conf[UPGRADE_LEVELS_GROUP]
        try:
            level = group[self.NAME]
        except cfg.NoSuchOptError:
            raise RPCError(f"[{UPGRADE_LEVELS_GROUP}] has no option {self.NAME!r}; "
                           "add the API to rpc.API_NAMES") from None
        if level is None or level == "auto":
            # TODO: "auto" becomes the oldest version the running services
            # of this API report, once services record their versions.
            return newest
        try:
            cap = _vt(level)
        except ValueError:
            raise RPCError(f"[{UPGRADE_LEVELS_GROUP}] {self.NAME} = {level!r} is not "
                           "a version such as 1.2, nor auto") from None
        if cap[0] != _vt(newest)[0] or cap < _vt(self.HISTORY[0].version):
            raise RPCError(f"[{UPGRADE_LEVELS_GROUP}] {self.NAME} = {level} is outside "
                           f"the versions this release speaks "
                           f"({self.HISTORY[0].version} to {newest})")
        # A cap above what we know means the receivers are newer than us:
        # they still understand our newest version.
        return newest if cap > _vt(newest) else level

    def can_send_version(self, version: str) -> bool:
        """Whether every receiver understands `version` (it is within the cap)."""
        return _vt(version)[0] == _vt(self.version_cap)[0] and \
            _vt(version) <= _vt(self.version_cap)

    def prepare(self, *, server: str | None = None, version: str | None = None,
                fanout: bool = False, timeout: float | None = None) -> PreparedCall:
        """A call context: to one `server` (or all, `fanout`), at `version`
        (default: the cap)."""
        key = (version or self.version_cap, server, fanout,
               self.timeout if timeout is None else timeout)
        prepared = self._prepared.get(key)
        if prepared is None:
            # oslo.messaging's clients are cheap to keep and costly to make:
            # one per destination and version, reused for every call.
            prepared = PreparedCall(self, *key)
            if len(self._prepared) < 1024:
                self._prepared[key] = prepared
        return prepared

    def call(self, ctxt: RequestContext, method: str, **kwargs: Any) -> Any:
        """Call `method` on some server of the topic and return its result."""
        return self.prepare().call(ctxt, method, **kwargs)

    def cast(self, ctxt: RequestContext, method: str, **kwargs: Any) -> None:
        """Send `method` to some server of the topic without waiting."""
        self.prepare().cast(ctxt, method, **kwargs)


class PreparedCall:
    """An RPCAPI bound to a version and a destination."""

    def __init__(self, api: RPCAPI, version: str, server: str | None, fanout: bool,
                 timeout: float) -> None:
        self.api = api
        self.version = version
        target = oslo_messaging.Target(topic=api.topic, version=version, server=server,
                                       fanout=fanout)
        serializer = RPCSerializer(api.manifest(version), api.CARRIES_TOKEN)
        self._client = oslo_messaging.get_rpc_client(
            api.transport, target, serializer=serializer, timeout=timeout)

    def _check(self, method: str) -> None:
        needed = self.api.method_version(method)
        if not self.api.can_send_version(self.version):
            raise RPCVersionCapExceeded(self.api.NAME, method, self.version,
                                        self.api.version_cap)
        if _vt(needed) > _vt(self.version):
            if not self.api.can_send_version(needed):
                raise RPCVersionCapExceeded(self.api.NAME, method, needed,
                                            self.api.version_cap)
            raise RPCError(f"{self.api.NAME} RPC method {method!r} needs version "
                           f"{needed}, prepared for {self.version}")

    def call(self, ctxt: RequestContext, method: str, **kwargs: Any) -> Any:
        self._check(method)
        return self._client.call(ctxt, method, **kwargs)

    def cast(self, ctxt: RequestContext, method: str, **kwargs: Any) -> None:
        self._check(method)
        self._client.cast(ctxt, method, **kwargs)


def missing_methods(api: type[RPCAPI], endpoint: object) -> list[str]:
    """Methods of `api`'s history that `endpoint` lacks, and version disagreement."""
    problems = [m for entry in api.HISTORY for m in entry.methods
                if not callable(getattr(endpoint, m, None))]
    target = getattr(endpoint, "target", None)
    if target is None or target.version != api.version():
        problems.append(f"target version {getattr(target, 'version', None)} "
                        f"!= {api.version()}")
    return problems


# --- servers ----------------------------------------------------------------

class Server:
    """A running RPC server; :meth:`stop` stops it and waits for its threads."""

    def __init__(self, server: Any) -> None:
        self._server = server

    def stop(self, wait: bool = True) -> None:
        """Stop taking messages; with `wait`, also wait for those under way
        (without, they go on in their threads, as after a crash they would not)."""
        self._server.stop()
        if wait:
            self._server.wait()


def start_server(conf: cfg.ConfigOpts, topic: str, server: str,
                 endpoints: Iterable[object], transport_url: str | None = None) -> Server:
    """Serve `endpoints` on `topic` (and on `topic`.`server` for directed calls).

    Each endpoint's ``target`` (an oslo_messaging.Target with a version)
    says which API version it implements; replies go at the objects' own
    versions.
    """
    target = oslo_messaging.Target(topic=topic, server=server)
    # The threading executor is oslo.messaging's default (naming it is
    # deprecated) unless eventlet monkey-patched threads, which Nimbus never does.
    rpc_server = oslo_messaging.get_rpc_server(
        get_transport(conf, transport_url), target, list(endpoints), serializer=RPCSerializer(),
        access_policy=oslo_messaging.DefaultRPCAccessPolicy)
    if rpc_server.executor_type != "threading":
        raise RPCError(f"RPC server would run the {rpc_server.executor_type} executor; "
                       "something monkey-patched threads")
    rpc_server.start()
    LOG.debug("RPC server %s on topic %s started", server, topic)
    return Server(rpc_server)


_F = TypeVar("_F", bound=Callable[..., Any])


def expected_exceptions(*errors: type[BaseException]) -> Callable[[_F], _F]:
    """Mark an endpoint method's domain errors as answers, not failures:
    oslo.messaging then sends them back without logging a traceback."""
    decorate: Callable[[_F], _F] = oslo_messaging.expected_exceptions(*errors)
    return decorate
