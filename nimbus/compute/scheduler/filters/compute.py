"""ComputeFilter: the host's compute service is enabled and up."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)


class ComputeFilter(Filter):
    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        if host.service_disabled:
            return reject(f"the compute service of {host.host} is disabled")
        if not host.service_up:
            return reject(f"the compute service of {host.host} is down")
        return PASS
