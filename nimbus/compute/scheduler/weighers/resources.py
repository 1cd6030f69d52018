"""Weighers by free resources: RAM, CPU and disk (spread by default; a
negative multiplier stacks), and by recent build failures; each multiplier
may be set per aggregate (metadata key of the option's name), as Nova's."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import HostState, SchedulingState, Weigher


class ConfiguredWeigher(Weigher):
    """A weigher whose multiplier is a [filter_scheduler] option, overridden
    by the smallest value of the same key in the host's aggregates."""

    option = ""

    def multiplier(self, host: HostState) -> float:
        default = float(self.conf.filter_scheduler[self.option])
        return host.aggregate_number(self.option, default, float)


class RAMWeigher(ConfiguredWeigher):
    option = "ram_weight_multiplier"
    minval = 0

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("MEMORY_MB"))


class CPUWeigher(ConfiguredWeigher):
    option = "cpu_weight_multiplier"
    minval = 0

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("VCPU"))


class DiskWeigher(ConfiguredWeigher):
    option = "disk_weight_multiplier"
    minval = 0

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("DISK_GB"))


class BuildFailureWeigher(ConfiguredWeigher):
    """Hosts whose agents report recent build failures come last."""

    option = "build_failure_weight_multiplier"

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return -float(host.failed_builds)
