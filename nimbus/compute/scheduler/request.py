"""What placement is asked for a request spec (Nova's ResourceRequest, in brief)."""

from __future__ import annotations

import math
from typing import Any

from nimbus.compute.objects.request_spec import RequestSpec

STANDARD = ("VCPU", "MEMORY_MB", "DISK_GB")


def resources(spec: RequestSpec) -> dict[str, int]:
    """Resource class -> amount for one instance: the flavor's sizes, then
    `resources:<RC>=<n>` extra specs (0 drops a class)."""
    flavor = spec.flavor
    disk = flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)
    if not spec.is_bfv:
        disk += flavor.root_gb
    wanted = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": disk}
    for key, value in flavor.extra_specs.items():
        if key.startswith("resources:"):
            try:
                wanted[key.split(":", 1)[1]] = int(value)
            except ValueError:
                continue
    return {rc: amount for rc, amount in wanted.items() if amount > 0}


def traits(spec: RequestSpec) -> tuple[set[str], set[str]]:
    """(required, forbidden) traits from `trait:<NAME>` extra specs and image properties."""
    required: set[str] = set()
    forbidden: set[str] = set()
    sources: list[dict[str, str | None]] = [dict(spec.flavor.extra_specs),
                                             dict(spec.image.properties or {})]
    for source in sources:
        for key, value in source.items():
            if not key.startswith("trait:") or value is None:
                continue
            name = key.split(":", 1)[1]
            if value == "required":
                required.add(name)
            elif value == "forbidden" and source is sources[0]:
                forbidden.add(name)
    return required, forbidden


def placement_query(spec: RequestSpec, limit: int, member_of: list[str] | None = None,
                    in_tree: str | None = None) -> dict[str, Any]:
    wanted = resources(spec)
    params: dict[str, Any] = {
        "resources": ",".join(f"{rc}:{n}" for rc, n in sorted(wanted.items())),
        "limit": str(limit),
    }
    required, forbidden = traits(spec)
    names = sorted(required) + [f"!{t}" for t in sorted(forbidden)]
    if names:
        params["required"] = ",".join(names)
    if member_of:
        params["member_of"] = "in:" + ",".join(sorted(member_of))
    if in_tree:
        params["in_tree"] = in_tree
    return params
