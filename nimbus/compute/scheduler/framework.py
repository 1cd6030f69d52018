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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from oslo_config import cfg

    from nimbus.compute.objects.request_spec import RequestSpec

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
    failed_builds: int = 0
    hypervisor_type: str | None = None
    traits: set[str] = field(default_factory=set)

    def free(self, resource_class: str) -> int:
        return self.capacity.get(resource_class, 0) - self.used.get(resource_class, 0)

    def consume(self, resources: dict[str, int], instance_uuid: str) -> None:
        """Account for an instance just placed here, for the next in the same request."""
        for rc, amount in resources.items():
            self.used[rc] = self.used.get(rc, 0) + amount
        self.instance_uuids.add(instance_uuid)
        self.num_instances += 1

    def aggregate_metadata(self, key: str) -> set[str]:
        """Every value of `key` in the aggregates of this host (comma lists split)."""
        values: set[str] = set()
        for aggregate in self.aggregates:
            raw = aggregate.get("metadata", {}).get(key)
            if raw is not None:
                values.update(v.strip() for v in str(raw).split(","))
        return values


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""


PASS = Verdict(True)


def reject(reason: str) -> Verdict:
    return Verdict(False, reason)


@dataclass
class SchedulingState:
    """A per-request scratchpad: what one plugin computes once for all hosts."""

    spec: RequestSpec
    data: dict[str, Any] = field(default_factory=dict)


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

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf

    @property
    def name(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def weigh(self, host: HostState, state: SchedulingState) -> float: ...

    def multiplier(self, host: HostState) -> float:
        return 1.0


def normalize(values: list[float]) -> list[float]:
    """Scale to 0..1 (all equal: all 0), as Nova's weights are."""
    if not values:
        return []
    low, high = min(values), max(values)
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
