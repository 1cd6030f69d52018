"""ImagePropertiesFilter: the host runs the architecture, hypervisor type,
hypervisor version and VM mode the image asks for (hw_architecture,
img_hv_type, img_hv_requested_version, hw_vm_mode, or their legacy names
architecture, hypervisor_type, hypervisor_version_requires, vm_mode), as
Nova's filter."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)

# Aliases Nova canonicalizes (nova.objects.fields Architecture, HVType, VMMode).
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "i386": "i686", "i486": "i686",
                 "i586": "i686", "x86": "i686", "arm64": "aarch64", "armv7": "armv7l",
                 "ppc64el": "ppc64le"}
_HV_ALIASES = {"xapi": "xen"}
_VM_MODE_ALIASES = {"pv": "xen", "hv": "hvm", "baremetal": "hvm"}

_OPERATORS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
    ">=": operator.ge, ">": operator.gt}
_CLAUSE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*([0-9]+(?:\.[0-9]+)*)\s*$")


def canonical(value: str | None, aliases: dict[str, str]) -> str | None:
    if not value:
        return None
    lowered = value.strip().lower()
    return aliases.get(lowered, lowered)


def version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_string(version: int) -> str:
    """Nova's integer hypervisor version (major*1000000 + minor*1000 + micro) as text."""
    numbers: list[str] = []
    while version:
        numbers.insert(0, str(version % 1000))
        version //= 1000
    return ".".join(numbers) or "0"


def satisfies(version: str, predicate: str) -> bool:
    """Whether `version` meets a predicate like ">= 6.0, < 7": every clause
    must hold. :raises ValueError: on a malformed predicate."""
    have = version_tuple(version)
    for clause in predicate.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ValueError(f"bad version predicate {predicate!r}")
        op, wanted = match.groups()
        if not _OPERATORS[op](have, version_tuple(wanted)):
            return False
    return True


class ImagePropertiesFilter(Filter):
    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        props = state.spec.image.properties or {}
        default_arch = self.conf.filter_scheduler.image_properties_default_architecture
        wanted = (canonical(props.get("hw_architecture") or props.get("architecture")
                            or default_arch, _ARCH_ALIASES),
                  canonical(props.get("img_hv_type") or props.get("hypervisor_type"),
                            _HV_ALIASES),
                  canonical(props.get("hw_vm_mode") or props.get("vm_mode"),
                            _VM_MODE_ALIASES))
        if not any(wanted):
            return PASS
        if not host.supported_instances:
            return reject(f"the image asks for {wanted} but {host.host} advertises no "
                          "supported instances")
        required = (props.get("img_hv_requested_version")
                    or props.get("hypervisor_version_requires"))
        for triple in host.supported_instances:
            offered = tuple(str(v).lower() for v in triple)
            if all(w is None or w in offered for w in wanted) and self._version_ok(
                    host, required):
                return PASS
        return reject(f"{host.host} supports {host.supported_instances} at hypervisor "
                      f"version {version_string(host.hypervisor_version)}, not {wanted} "
                      f"{required or ''}".rstrip())

    @staticmethod
    def _version_ok(host: HostState, predicate: str | None) -> bool:
        if not (predicate and host.hypervisor_version):
            return True
        try:
            return satisfies(version_string(host.hypervisor_version), predicate)
        except ValueError:
            return False
