"""Host affinity: same_host / different_host hints, and server groups'
affinity and anti-affinity policies (the hard ones; the soft ones are weighers)."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)


def _hint(state: SchedulingState, name: str) -> set[str]:
    return set(state.spec.scheduler_hints.get(name, []))


class SameHostFilter(Filter):
    """Only hosts that run every instance named in the same_host hint."""

    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        wanted = _hint(state, "same_host")
        if not wanted or wanted <= host.instance_uuids:
            return PASS
        return reject(f"{host.host} does not run all of {sorted(wanted)}")


class DifferentHostFilter(Filter):
    """Only hosts that run none of the instances named in the different_host hint."""

    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        avoided = _hint(state, "different_host")
        if not avoided & host.instance_uuids:
            return PASS
        return reject(f"{host.host} runs one of {sorted(avoided)}")


class ServerGroupAffinityFilter(Filter):
    """A group with the affinity policy: every member on the hosts its members
    already run on (any host for the first)."""

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        group = state.group
        if group is None or group.policy != "affinity" or not group.hosts:
            return PASS
        if host.host in group.hosts:
            return PASS
        return reject(f"group {group.uuid} lives on {sorted(group.hosts)}")


class ServerGroupAntiAffinityFilter(Filter):
    """A group with the anti-affinity policy: fewer than max_server_per_host
    (2.64; default 1) other members on the host."""

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        group = state.group
        if group is None or group.policy != "anti-affinity":
            return PASS
        # A move may keep the instance where it is (Nova's resize to the same host).
        if state.instance_uuid and group.member_hosts.get(state.instance_uuid) == host.host:
            return PASS
        here = group.count_on(host.host, besides=state.instance_uuid)
        if here < group.max_server_per_host:
            return PASS
        return reject(f"{host.host} already runs {here} member(s) of group {group.uuid}")
