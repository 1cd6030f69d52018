"""What placement is asked for a request spec: Nova's ResourceRequest.

The flavor gives VCPU, MEMORY_MB and DISK_GB; its extra specs add or
override resources and traits, in the unsuffixed group (``resources:VCPU``,
``trait:HW_CPU_X86_AVX=required``) or in granular groups that one provider
each must satisfy (``resources1:VCPU``, ``trait_GPU:CUSTOM_X=forbidden``,
suffixes as placement 1.33 allows), with ``group_policy`` (none, isolate);
the image adds required traits to the unsuffixed group
(``trait:NAME=required``). The request filters (prefilters.py) add what
concerns the root provider (``root_required``), aggregates (``member_of``)
and a requested host (``in_tree``).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.request_spec import RequestSpec

LOG = logging.getLogger(__name__)

STANDARD = ("VCPU", "MEMORY_MB", "DISK_GB")
_KEY = re.compile(r"^(resources|trait)([a-zA-Z0-9_-]{1,64})?:(.+)$")


@dataclass
class RequestGroup:
    """Resources and traits one provider (suffixed) or the tree (unsuffixed) satisfies."""

    resources: dict[str, int] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not (self.resources or self.required or self.forbidden)


@dataclass
class Destination:
    """Where the request filters confine a request (Nova's Destination plus
    the request-level traits)."""

    member_of: list[list[str]] = field(default_factory=list)  # each: in one of these
    root_required: set[str] = field(default_factory=set)
    root_forbidden: set[str] = field(default_factory=set)
    in_tree: str | None = None


@dataclass
class ResourceRequest:
    groups: dict[str, RequestGroup] = field(default_factory=dict)  # "" is unsuffixed
    group_policy: str | None = None

    def group(self, suffix: str | None) -> RequestGroup:
        return self.groups.setdefault(suffix or "", RequestGroup())

    def merged_resources(self) -> dict[str, int]:
        """Resource class -> amount over every group (what one instance uses)."""
        merged: dict[str, int] = {}
        for group in self.groups.values():
            for rc, amount in group.resources.items():
                merged[rc] = merged.get(rc, 0) + amount
        return merged

    def all_required_traits(self) -> set[str]:
        return set().union(*(g.required for g in self.groups.values()))

    def query(self, limit: int, destination: Destination | None = None) -> dict[str, Any]:
        """GET /allocation_candidates parameters (lists are repeated keys)."""
        dest = destination or Destination()
        params: dict[str, Any] = {"limit": str(limit)}
        if self.group_policy:
            params["group_policy"] = self.group_policy
        if dest.root_required or dest.root_forbidden:
            params["root_required"] = ",".join(
                sorted(dest.root_required) + [f"!{t}" for t in sorted(dest.root_forbidden)])
        for suffix, group in sorted(self.groups.items()):
            if group.resources:
                params[f"resources{suffix}"] = ",".join(
                    f"{rc}:{n}" for rc, n in sorted(group.resources.items()))
            traits = sorted(group.required) + [f"!{t}" for t in sorted(group.forbidden)]
            if traits:
                params[f"required{suffix}"] = ",".join(traits)
        if dest.member_of:
            params["member_of"] = ["in:" + ",".join(sorted(uuids)) for uuids in dest.member_of]
        if dest.in_tree:
            params["in_tree"] = dest.in_tree
        return params


def _amount(key: str, value: str) -> int | None:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        LOG.warning("Ignoring extra spec %s=%r: not a whole number", key, value)
        return None
    return amount if amount >= 0 else None


def _add_extra_spec(req: ResourceRequest, key: str, value: str) -> None:
    if key == "group_policy":
        if value in ("none", "isolate"):
            req.group_policy = value
        else:
            LOG.warning("Ignoring group_policy %r: none or isolate", value)
        return
    match = _KEY.match(key)
    if match is None:
        return
    prefix, suffix, name = match.groups()
    if prefix == "resources":
        amount = _amount(key, value)
        if amount is not None:
            req.group(suffix).resources[name] = amount
    elif value == "required":
        req.group(suffix).required.add(name)
    elif value == "forbidden":
        req.group(suffix).forbidden.add(name)


def from_spec(spec: RequestSpec) -> ResourceRequest:
    """Nova's ResourceRequest.from_request_spec, without the hw: translations."""
    req = ResourceRequest()
    for key, value in sorted(spec.flavor.extra_specs.items()):
        _add_extra_spec(req, key, str(value))
    for prop, setting in (spec.image.properties or {}).items():
        # The image may only require traits, and only of the unsuffixed group.
        if prop.startswith("trait:") and setting == "required":
            req.group(None).required.add(prop.split(":", 1)[1])
    merged = req.merged_resources()
    flavor = spec.flavor
    unsuffixed = req.group(None)
    if "VCPU" not in merged and "PCPU" not in merged:
        unsuffixed.resources["VCPU"] = flavor.vcpus
    if "MEMORY_MB" not in merged:
        unsuffixed.resources["MEMORY_MB"] = flavor.memory_mb
    if "DISK_GB" not in merged:
        unsuffixed.resources["DISK_GB"] = disk_gb(flavor, spec.is_bfv)
    for suffix, group in list(req.groups.items()):
        group.resources = {rc: n for rc, n in group.resources.items() if n > 0}
        if group.is_empty() and suffix:
            del req.groups[suffix]
    return req


def disk_gb(flavor: Flavor, is_bfv: bool) -> int:
    """Local disk of an instance: ephemeral and swap, and root unless it boots
    from a volume."""
    disk = flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)
    return disk if is_bfv else disk + flavor.root_gb


def resources_from_flavor(flavor: Flavor, is_bfv: bool) -> dict[str, int]:
    """What an instance of `flavor` holds on its compute node (Nova's
    resources_from_flavor): the sizes, overridden by unsuffixed
    ``resources:`` extra specs, without zeros."""
    wanted = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb,
              "DISK_GB": disk_gb(flavor, is_bfv)}
    for key, value in flavor.extra_specs.items():
        if key.startswith("resources:"):
            amount = _amount(key, str(value))
            if amount is not None:
                wanted[key.split(":", 1)[1]] = amount
    return {rc: n for rc, n in wanted.items() if n > 0}


def resources(spec: RequestSpec) -> dict[str, int]:
    """Resource class -> amount one instance of `spec` uses, every group merged."""
    return from_spec(spec).merged_resources()
