"""Filters on host aggregate metadata: flavor extra specs against aggregate
metadata, image properties against aggregate metadata, and aggregates kept
for some tenants (filter_tenant_id), as Nova's filters of the same names."""

from __future__ import annotations

from nimbus.compute.scheduler.filters import extra_specs_ops
from nimbus.compute.scheduler.framework import (
    PASS,
    Filter,
    HostState,
    SchedulingState,
    Verdict,
    reject,
)

SCOPE = "aggregate_instance_extra_specs"
TENANT_KEY = "filter_tenant_id"


class AggregateInstanceExtraSpecsFilter(Filter):
    """Every unscoped (or aggregate_instance_extra_specs:-scoped) flavor extra
    spec must be met by a value of the same key in the host's aggregates."""

    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        specs = state.spec.flavor.extra_specs
        if not specs:
            return PASS
        metadata = host.all_aggregate_metadata()
        for key, wanted in specs.items():
            scope, sep, name = key.partition(":")
            if sep:
                if scope != SCOPE:
                    continue
                key = name
            values = metadata.get(key)
            if not values:
                return reject(f"extra spec {key} is in no aggregate of {host.host}")
            if not any(extra_specs_ops.match(v, str(wanted)) for v in values):
                return reject(f"aggregate values {sorted(values)} of {key} on {host.host} "
                              f"do not match {wanted!r}")
        return PASS


class AggregateImagePropertiesIsolation(Filter):
    """An image property named like an aggregate metadata key must have one
    of that key's values."""

    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        options = self.conf.filter_scheduler
        namespace = options.aggregate_image_properties_isolation_namespace
        prefix = f"{namespace}{options.aggregate_image_properties_isolation_separator}"
        props = state.spec.image.properties or {}
        for key, values in host.all_aggregate_metadata().items():
            if namespace and not key.startswith(prefix):
                continue
            prop = props.get(key)
            if prop and str(prop) not in values:
                return reject(f"image property {key}={prop} is not among {sorted(values)} "
                              f"in the aggregates of {host.host}")
        return PASS


class AggregateMultiTenancyIsolation(Filter):
    """A host in aggregates naming tenants (filter_tenant_id, or keys that
    start with it) takes only those tenants' instances."""

    run_once_per_request = True

    def host_passes(self, host: HostState, state: SchedulingState) -> Verdict:
        tenants: set[str] = set()
        for key, values in host.all_aggregate_metadata().items():
            if key.startswith(TENANT_KEY):
                tenants |= values
        if not tenants or state.spec.project_id in tenants:
            return PASS
        return reject(f"{host.host} is kept for other tenants")
