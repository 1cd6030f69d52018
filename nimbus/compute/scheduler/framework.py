"""Filters and weighers: the scheduler's plugin contracts, their registry and the cycle state.

Placement's allocation candidates are the pre-filter (hosts that have room
for the request's resources and traits). Each enabled :class:`Filter` then
keeps or drops a host with a :class:`Verdict` that says why; each enabled
:class:`Weigher` scores the hosts left, scores are normalised to 0..1,
multiplied and summed; the best hosts are claimed in placement in turn.
Plugins come from the entry point groups ``nimbus.scheduler.filters`` and
``nimbus.scheduler.weighers`` and are enabled by name in
``[filter_scheduler]``.
"""

from __future__ import annotations

import abc
import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from oslo_config import cfg

    from nimbus.compute.objects.request_spec import RequestSpec

LOG = logging.getLogger(__name__)
N = TypeVar("N", int, float)

FILTERS_GROUP = "nimbus.scheduler.filters"
WEIGHERS_GROUP = "nimbus.scheduler.weighers"


@dataclass
class HostState:
    """One candidate compute node as the filters and weighers see it."""

    uuid: str  # the compute node's (and its root provider's) uuid
    host: str
    nodename: str
    cell_uuid: str
    # From placement's provider summary of the root provider: resource class
    # -> capacity and used.
    capacity: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    allocation_request: dict[str, Any] | None = None
    service_disabled: bool = False
    service_up: bool = True
    availability_zone: str | None = None
    aggregates: list[dict[str, Any]] = field(default_factory=list)  # uuid, name, metadata
    instance_uuids: set[str] = field(default_factory=set)
    num_instances: int = 0
    num_io_ops: int = 0  # builds, resizes, snapshots... under way (Nova's io_workload)
    failed_builds: int = 0
    hypervisor_type: str | None = None
    hypervisor_version: int = 0
    # (architecture, hypervisor type, vm mode) triples the node can run.
    supported_instances: list[tuple[str, str, str]] = field(default_factory=list)
    traits: set[str] = field(default_factory=set)

    def free(self, resource_class: str) -> int:
        return self.capacity.get(resource_class, 0) - self.used.get(resource_class, 0)

    def consume(self, resources: dict[str, int], instance_uuid: str) -> None:
        """Account for an instance just placed here, for the next in the same request."""
        for rc, amount in resources.items():
            self.used[rc] = self.used.get(rc, 0) + amount
        self.instance_uuids.add(instance_uuid)
        self.num_instances += 1
        self.num_io_ops += 1  # a build is an I/O operation, as Nova counts it

    def aggregate_metadata(self, key: str) -> set[str]:
        """Every value of `key` in the aggregates of this host (comma lists split)."""
        values: set[str] = set()
        for aggregate in self.aggregates:
            raw = aggregate.get("metadata", {}).get(key)
            if raw is not None:
                values.update(v.strip() for v in str(raw).split(","))
        return values

    def all_aggregate_metadata(self) -> dict[str, set[str]]:
        """key -> every value in this host's aggregates (comma lists split),
        as Nova's aggregate_metadata_get_by_host."""
        found: dict[str, set[str]] = {}
        for aggregate in self.aggregates:
            for key, raw in aggregate.get("metadata", {}).items():
                found.setdefault(key, set()).update(v.strip() for v in str(raw).split(","))
        return found

    def aggregate_values(self, key: str) -> set[str]:
        """The raw values of `key` in this host's aggregates (not split)."""
        return {str(a["metadata"][key]) for a in self.aggregates
                if key in a.get("metadata", {})}

    def aggregate_number(self, key: str, default: N, cast: Callable[[str], N]) -> N:
        """A per-aggregate setting: the smallest value of `key` in this host's
        aggregates, or `default` without one (or with one that is no number)."""
        values = self.aggregate_values(key)
        if not values:
            return default
        try:
            return min(cast(v) for v in values)
        except ValueError as err:
            LOG.warning("Could not decode %s of the aggregates of %s: %s", key, self.host, err)
            return default


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""


PASS = Verdict(True)


def reject(reason: str) -> Verdict:
    return Verdict(False, reason)


@dataclass
class GroupView:
    """A server group as it is now: its members and the hosts they run on,
    read when the request is scheduled (never trusted from the caller)."""

    uuid: str
    policy: str
    rules: dict[str, Any]
    members: set[str]
    member_hosts: dict[str, str]  # member uuid -> host, for members on a host

    @property
    def hosts(self) -> set[str]:
        return set(self.member_hosts.values())

    def count_on(self, host: str, besides: str | None = None) -> int:
        return sum(1 for uuid, on in self.member_hosts.items()
                   if on == host and uuid != besides)

    def place(self, instance_uuid: str, host: str) -> None:
        """An instance of this request was just placed on `host`."""
        self.members.add(instance_uuid)
        self.member_hosts[instance_uuid] = host

    @property
    def max_server_per_host(self) -> int:
        try:
            return max(1, int(self.rules.get("max_server_per_host", 1)))
        except (TypeError, ValueError):
            return 1


@dataclass
class SchedulingState:
    """A per-request scratchpad: what one plugin computes once for all hosts."""

    spec: RequestSpec
    data: dict[str, Any] = field(default_factory=dict)
    # The instance being placed (a multi-create places several in turn).
    instance_uuid: str | None = None
    group: GroupView | None = None


class Filter(abc.ABC):
    """Keeps or drops one host for a request."""

    # Filters that depend only on the request, not on the instances already
    # placed by it, run once per request rather than once per instance.
    run_once_per_request: ClassVar[bool] = False

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @property
    def name(self) -> str:
        return type(self).__name__

    def prepare(self, state: SchedulingState) -> None:  # noqa: B027 (optional hook)
        """Compute per-request data into state.data (optional)."""

    @abc.abstractmethod
    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict: ...


class Weigher(abc.ABC):
    """Scores a host for a request; higher is better before the multiplier."""

    # Bounds used to normalise raw weights (None: the smallest/largest seen),
    # as Nova's weighers declare them.
    minval: ClassVar[float | None] = None
    maxval: ClassVar[float | None] = None

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @property
    def name(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def weigh(self, host: HostState, state: SchedulingState) -> float: ...

    def multiplier(self, host: HostState) -> float:
        return 1.0


def normalize(values: list[float], minval: float | None = None,
              maxval: float | None = None) -> list[float]:
    """Scale to 0..1 between minval and maxval (default: the smallest and the
    largest value; equal bounds: all 0), as Nova's weights are."""
    if not values:
        return []
    low = min(values) if minval is None else minval
    high = max(values) if maxval is None else maxval
    if high == low:
        return [0.0 for _ in values]
    span = high - low
    return [(v - low) / span for v in values]


class PluginError(Exception):
    """A filter or weigher named in the configuration does not exist."""


def _load(group: str, names: list[str], base: type[Any], conf: cfg.ConfigOpts) -> list[Any]:
    known = {ep.name: ep for ep in importlib.metadata.entry_points(group=group)}
    loaded = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise PluginError(f"{name} is enabled twice")
        seen.add(name)
        ep = known.get(name)
        if ep is None:
            raise PluginError(f"no scheduler plugin named {name!r} in {group}; known: "
                              f"{', '.join(sorted(known))}")
        plugin: Any = ep.load()
        if not (isinstance(plugin, type) and issubclass(plugin, base)):
            raise PluginError(f"{name} is not a {base.__name__}")
        loaded.append(plugin(conf))
    return loaded


def load_filters(conf: cfg.ConfigOpts, names: list[str]) -> list[Filter]:
    return _load(FILTERS_GROUP, names, Filter, conf)


def load_weighers(conf: cfg.ConfigOpts, names: list[str]) -> list[Weigher]:
    return _load(WEIGHERS_GROUP, names, Weigher, conf)


def available(group: str) -> list[str]:
    return sorted(ep.name for ep in importlib.metadata.entry_points(group=group))
