"""Weighers by how busy a host is: I/O-heavy operations under way (fewer
first by default) and instances on it (no effect unless a multiplier is set)."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import HostState, SchedulingState
from nimbus.compute.scheduler.weighers.resources import ConfiguredWeigher


class IoOpsWeigher(ConfiguredWeigher):
    option = "io_ops_weight_multiplier"
    minval = 0

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.num_io_ops)


class NumInstancesWeigher(ConfiguredWeigher):
    option = "num_instances_weight_multiplier"

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return float(host.num_instances)
