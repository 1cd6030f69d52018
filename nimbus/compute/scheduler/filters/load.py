"""Filters on how busy a host is: instances on it (NumInstancesFilter) and
I/O-heavy operations under way (IoOpsFilter), with per-aggregate limits
(max_instances_per_host, max_io_ops_per_host) in their Aggregate* variants."""

from __future__ import annotations

from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)


class NumInstancesFilter(Filter):
    def limit(self, host: HostState) -> int:
        return int(self.conf.filter_scheduler.max_instances_per_host)

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        limit = self.limit(host)
        if host.num_instances < limit:
            return PASS
        return reject(f"{host.host} runs {host.num_instances} instances; max instances "
                      f"per host is set to {limit}")


class AggregateNumInstancesFilter(NumInstancesFilter):
    def limit(self, host: HostState) -> int:
        return host.aggregate_number("max_instances_per_host", super().limit(host), int)


class IoOpsFilter(Filter):
    def limit(self, host: HostState) -> int:
        return int(self.conf.filter_scheduler.max_io_ops_per_host)

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        limit = self.limit(host)
        if host.num_io_ops < limit:
            return PASS
        return reject(f"{host.host} has {host.num_io_ops} I/O operations under way; max "
                      f"IOs per host is set to {limit}")


class AggregateIoOpsFilter(IoOpsFilter):
    def limit(self, host: HostState) -> int:
        return host.aggregate_number("max_io_ops_per_host", super().limit(host), int)
