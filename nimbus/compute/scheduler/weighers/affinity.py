"""The soft server group policies (2.15): soft-affinity prefers the hosts
that run most members of the group, soft-anti-affinity the hosts that run
fewest; neither ever refuses a host."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import HostState, SchedulingState
from nimbus.compute.scheduler.weighers.resources import ConfiguredWeigher


class _SoftAffinity(ConfiguredWeigher):
    policy = ""

    def members_on(self, host: HostState, state: SchedulingState) -> float:
        group = state.group
        if group is None or group.policy != self.policy:
            return 0.0
        return float(group.count_on(host.host))


class ServerGroupSoftAffinityWeigher(_SoftAffinity):
    policy = "soft-affinity"
    option = "soft_affinity_weight_multiplier"

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return self.members_on(host, state)


class ServerGroupSoftAntiAffinityWeigher(_SoftAffinity):
    policy = "soft-anti-affinity"
    option = "soft_anti_affinity_weight_multiplier"

    def weigh(self, host: HostState, state: SchedulingState) -> float:
        return -self.members_on(host, state)
