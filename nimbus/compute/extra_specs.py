"""Validation of flavor extra specs, as Nova does it from microversion 2.86.

Every known extra spec is a row of data: a name (``{param}`` parts match a
pattern), the kind of value and its bounds. A name that matches a known
spec must have a valid value. A name in a known namespace (the part before
the first ``:``) that matches no spec is refused; a name in an unknown
namespace, or with none, is accepted, since operators use those freely.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import os_resource_classes
import os_traits

from nimbus.compute.exceptions import ExtraSpecInvalid

_GROUP = r"([a-zA-Z0-9_-]{1,64})?"  # a request group suffix: resources1:VCPU
_CPU_MASK = r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"
_TRUE = ("1", "t", "true", "on", "y", "yes")
_FALSE = ("0", "f", "false", "off", "n", "no")


@dataclass(frozen=True)
class Spec:
    name: str  # e.g. "hw:numa_cpus.{num}"
    kind: type = str  # int, str or bool
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    min: int | None = None
    max: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        text = self.name
        for param, pattern in self.params.items():
            text = text.replace(f"{{{param}}}", f"(?P<{param}>{pattern})")
        return re.compile(text)

    def check(self, value: str) -> None:
        if self.kind is int:
            self._check_int(value)
        elif self.kind is bool:
            if value.strip().lower() not in _TRUE + _FALSE:
                raise ExtraSpecInvalid(
                    detail=f"Validation failed; '{value}' is not a valid boolean-like value.")
        elif self.pattern is not None:
            if not re.fullmatch(self.pattern, value):
                raise ExtraSpecInvalid(
                    detail=f"Validation failed; '{value}' is not of the format "
                    f"'{self.pattern}'.")
        elif self.enum and value not in self.enum:
            raise ExtraSpecInvalid(
                detail=f"Validation failed; '{value}' is not one of: {', '.join(self.enum)}.")

    def _check_int(self, value: str) -> None:
        try:
            number = int(value)
        except ValueError:
            raise ExtraSpecInvalid(
                detail=f"Validation failed; '{value}' is not a valid integer value.") from None
        if self.max is not None and number > self.max:
            raise ExtraSpecInvalid(detail=f"Validation failed; '{value}' is greater than the "
                                   f"max value of '{self.max}'.")
        if self.min is not None and number < self.min:
            raise ExtraSpecInvalid(detail=f"Validation failed; '{value}' is less than the "
                                   f"min value of '{self.min}'.")


def _hw() -> list[Spec]:
    bools = ("cpu_realtime", "hide_hypervisor_id", "locked_memory", "boot_menu",
             "vif_multiqueue_enabled", "mem_encryption", "pmu", "virtio_packed_ring",
             "ephemeral_encryption")
    at_least_one = ("numa_nodes", "cpu_sockets", "cpu_cores", "cpu_threads",
                    "cpu_max_sockets", "cpu_max_cores", "cpu_max_threads")
    enums = {
        "cpu_policy": ("dedicated", "shared", "mixed"),
        "cpu_thread_policy": ("prefer", "isolate", "require"),
        "emulator_threads_policy": ("isolate", "share"),
        "pci_numa_affinity_policy": ("required", "preferred", "legacy", "socket"),
        "mem_encryption_model": ("amd-sev", "amd-sev-es", "amd-sev-snp"),
        "tpm_model": ("tpm-tis", "tpm-crb"),
        "tpm_version": ("1.2", "2.0"),
        "tpm_secret_security": ("user", "host", "deployment"),
        "watchdog_action": ("none", "pause", "poweroff", "reset", "disabled"),
        "viommu_model": ("intel", "smmuv3", "virtio", "auto"),
        "sound_model": ("sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio"),
        "usb_model": ("none", "nec-xhci", "qemu-xhci"),
        "ephemeral_encryption_format": ("plain", "luks", "luksv2"),
    }
    specs = [Spec(f"hw:{n}", bool) for n in bools]
    specs += [Spec(f"hw:{n}", int, min=1) for n in at_least_one]
    specs += [Spec(f"hw:{n}", enum=values) for n, values in enums.items()]
    num = {"num": r"\d+"}
    specs += [
        Spec("hw:cpu_realtime_mask", pattern=r"(\^)?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"),
        Spec("hw:cpu_dedicated_mask", pattern=_CPU_MASK),
        Spec("hw:mem_page_size", pattern=r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)"),
        Spec("hw:numa_cpus.{num}", pattern=_CPU_MASK, params=num),
        Spec("hw:numa_mem.{num}", int, min=1, params=num),
        Spec("hw:pmem", pattern=r"([a-zA-Z0-9_]+(,)?)+"),
        Spec("hw:serial_port_count", int, min=0),
        Spec("hw:redirected_usb_ports", int, min=0, max=15),
        Spec("hw_rng:allowed", bool),
        Spec("hw_rng:rate_bytes", int, min=0),
        Spec("hw_rng:rate_period", int, min=0),
        Spec("hw_video:ram_max_mb", int, min=0),
    ]
    return specs


def _placement() -> list[Spec]:
    group = {"group": _GROUP}
    specs = [Spec(f"resources{{group}}:{rc}", int, params=group)
             for rc in os_resource_classes.STANDARDS]
    specs.append(Spec("resources{group}:CUSTOM_{resource}", int,
                      params={**group, "resource": "[A-Z0-9_]+"}))
    required = ("required", "forbidden")
    specs += [Spec(f"trait{{group}}:{trait}", enum=required, params=group)
              for trait in os_traits.get_traits()]
    specs.append(Spec("trait{group}:CUSTOM_{trait}", enum=required,
                      params={**group, "trait": "[A-Z0-9_]+"}))
    return specs


def _quota() -> list[Spec]:
    specs: list[Spec] = []
    for key in ("cpu", "memory", "disk_io", "vif"):
        specs += [Spec(f"quota:{key}_limit", int, min=0),
                  Spec(f"quota:{key}_reservation", int),
                  Spec(f"quota:{key}_shares_level", enum=("custom", "high", "normal", "low")),
                  Spec(f"quota:{key}_shares_share", int, min=0)]
    specs += [Spec("quota:cpu_shares", int, min=0), Spec("quota:cpu_period", int, min=0),
              Spec("quota:cpu_quota", int)]
    specs += [Spec(f"quota:disk_{stat}_{metric}_sec", int, min=0)
              for stat in ("read", "write", "total") for metric in ("bytes", "iops")]
    specs += [Spec(f"quota:vif_{way}_{metric}", int, min=0)
              for way in ("inbound", "outbound") for metric in ("average", "peak", "burst")]
    return specs


_CAPABILITIES = (
    "id", "uuid", "service_id", "host", "vcpus", "memory_mb", "local_gb", "vcpus_used",
    "memory_mb_used", "local_gb_used", "hypervisor_type", "hypervisor_version",
    "hypervisor_hostname", "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
    "disk_available_least", "host_ip", "mapped", "cpu_allocation_ratio",
    "ram_allocation_ratio", "disk_allocation_ratio", "total_usable_ram_mb",
    "total_usable_disk_gb", "disk_mb_used", "free_disk_mb", "vcpus_total", "num_instances",
    "num_io_ops", "failed_builds", "aggregates", "cell_uuid", "updated",
)
_NESTED_CAPABILITIES = ("cpu_info", "metrics", "stats", "numa_topology", "supported_hv_specs",
                        "pci_device_pools", "nodename", "pci_stats", "supported_instances",
                        "limits", "instances")


def _others() -> list[Spec]:
    specs = [Spec(f"capabilities:{c}") for c in _CAPABILITIES]
    specs += [Spec(f"capabilities:{c}{{filter}}", params={"filter": r"(:\w+)*"})
              for c in _NESTED_CAPABILITIES]
    specs += [
        Spec("aggregate_instance_extra_specs:{key}", params={"key": ".+"}),
        Spec("os:secure_boot", enum=("disabled", "required")),
        Spec("accel:device_profile"),
        Spec("pci_passthrough:alias", pattern=r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*"),
        Spec("vmware:hw_version"),
        Spec("vmware:storage_policy"),
        # Without a namespace: checked when named, never refused for the name.
        Spec("hide_hypervisor_id", bool),
        Spec("group_policy", enum=("isolate", "none")),
    ]
    return specs


@functools.cache
def registry() -> tuple[dict[str, Spec], tuple[re.Pattern[str], ...]]:
    """Every known spec by name, and the namespaces they live in."""
    specs = {s.name: s for s in _hw() + _placement() + _quota() + _others()}
    namespaces = {s.regex.pattern.split(":", 1)[0] for s in specs.values()
                  if ":" in s.regex.pattern}
    return specs, tuple(re.compile(n) for n in sorted(namespaces))


def validate(name: str, value: str) -> None:
    """:raises ExtraSpecInvalid: a known spec with a bad value, or an unknown
    name in a known namespace."""
    specs, namespaces = registry()
    spec = specs.get(name)
    if spec is None:
        spec = next((s for s in specs.values() if s.regex.fullmatch(name)), None)
    if spec is not None:
        spec.check(value)
        return
    if ":" not in name:
        return
    prefix = name.split(":", 1)[0]
    if any(n.fullmatch(prefix) for n in namespaces):
        raise ExtraSpecInvalid(detail=f"Validation failed; extra spec '{name}' does not "
                               "appear to be a valid extra spec.")
