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
    """A group with the affinity policy: every member on one host."""

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        spec = state.spec
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return PASS
        if host.host in spec.group_hosts:
            return PASS
        return reject(f"group {spec.group_uuid} lives on {sorted(set(spec.group_hosts))}")


class ServerGroupAntiAffinityFilter(Filter):
    """A group with the anti-affinity policy: at most max_server_per_host
    members (default 1) on any host."""

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        spec = state.spec
        if spec.group_policy != "anti-affinity":
            return PASS
        limit = int(spec.group_rules.get("max_server_per_host", "1"))
        here = spec.group_hosts.count(host.host)
        if here < limit:
            return PASS
        return reject(f"{host.host} already runs {here} member(s) of group {spec.group_uuid}")
