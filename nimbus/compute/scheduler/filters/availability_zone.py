"""AvailabilityZoneFilter: the host is in the availability zone the request names."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)


class AvailabilityZoneFilter(Filter):
    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        wanted = state.spec.availability_zone
        if not wanted:
            return PASS
        if host.availability_zone == wanted:
            return PASS
        return reject(f"{host.host} is in availability zone {host.availability_zone}, "
                      f"not {wanted}")
