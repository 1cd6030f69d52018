"""Weighers by free resources: RAM, CPU and disk (spread by default; a
negative multiplier stacks), and by recent build failures."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import HostState, SchedulingState, Weigher


class RAMWeigher(Weigher):
    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("MEMORY_MB"))

    def multiplier(self, host: HostState) -> float:
        return float(self.conf.filter_scheduler.ram_weight_multiplier)


class CPUWeigher(Weigher):
    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("VCPU"))

    def multiplier(self, host: HostState) -> float:
        return float(self.conf.filter_scheduler.cpu_weight_multiplier)


class DiskWeigher(Weigher):
    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.free("DISK_GB"))

    def multiplier(self, host: HostState) -> float:
        return float(self.conf.filter_scheduler.disk_weight_multiplier)


class BuildFailureWeigher(Weigher):
    """Hosts where builds failed lately come last."""

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return -float(host.failed_builds)

    def multiplier(self, host: HostState) -> float:
        return float(self.conf.filter_scheduler.build_failure_weight_multiplier)
