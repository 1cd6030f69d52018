"""Scheduler filters, one host and one request at a time, against Nova's rules."""

from __future__ import annotations

import pytest

from nimbus.compute.scheduler import framework
from nimbus.compute.scheduler.filters import extra_specs_ops
from nimbus.compute.scheduler.filters.affinity import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from nimbus.compute.scheduler.filters.aggregates import (
    AggregateImagePropertiesIsolation,
    AggregateInstanceExtraSpecsFilter,
    AggregateMultiTenancyIsolation,
)
from nimbus.compute.scheduler.filters.image_props import (
    ImagePropertiesFilter,
    satisfies,
    version_string,
)
from nimbus.compute.scheduler.filters.isolated_hosts import IsolatedHostsFilter
from nimbus.compute.scheduler.filters.load import (
    AggregateIoOpsFilter,
    AggregateNumInstancesFilter,
    IoOpsFilter,
    NumInstancesFilter,
)
from tests.unit.compute.scheduling import (
    aggregate,
    conf,
    flavor,
    group,
    host,
    image,
    spec,
    state,
)

CONF = conf()
FAKE = [("x86_64", "fake", "hvm")]


def passes(plugin: framework.Filter, the_host: framework.HostState,
           the_state: framework.SchedulingState) -> bool:
    return plugin.host_passes(the_host, the_state).passed


def test_every_filter_is_a_registered_plugin() -> None:
    names = framework.available(framework.FILTERS_GROUP)
    for name in ("ImagePropertiesFilter", "AggregateInstanceExtraSpecsFilter",
                 "AggregateImagePropertiesIsolation", "AggregateMultiTenancyIsolation",
                 "NumInstancesFilter", "AggregateNumInstancesFilter", "IoOpsFilter",
                 "AggregateIoOpsFilter", "IsolatedHostsFilter"):
        assert name in names
    loaded = framework.load_filters(CONF, names)
    assert [f.name for f in loaded] == names
    with pytest.raises(framework.PluginError, match="no scheduler plugin named 'Nope'"):
        framework.load_filters(CONF, ["Nope"])


@pytest.mark.parametrize("props,supported,version,expected", [
    ({}, [], 0, True),  # asks for nothing: any host, even one advertising nothing
    ({"hw_architecture": "x86_64"}, [], 1000, False),
    ({"hw_architecture": "x86_64"}, FAKE, 1000, True),
    ({"hw_architecture": "amd64"}, FAKE, 1000, True),  # canonicalized
    ({"architecture": "aarch64"}, FAKE, 1000, False),  # the legacy name
    ({"img_hv_type": "fake", "hw_vm_mode": "hvm"}, FAKE, 1000, True),
    ({"hw_vm_mode": "xen"}, FAKE, 1000, False),
    ({"img_hv_type": "qemu"}, FAKE, 1000, False),
    ({"img_hv_type": "fake", "img_hv_requested_version": ">= 1.0"}, FAKE, 1000, True),
    ({"img_hv_type": "fake", "img_hv_requested_version": ">= 2.0"}, FAKE, 1000, False),
    ({"img_hv_type": "fake", "img_hv_requested_version": ">= 6.0, < 7"}, FAKE, 6002000,
     True),
    ({"img_hv_type": "fake", "img_hv_requested_version": "bogus"}, FAKE, 1000, False),
])
def test_image_properties(props: dict[str, str], supported: list[tuple[str, str, str]],
                          version: int, expected: bool) -> None:
    plugin = ImagePropertiesFilter(CONF)
    the_host = host(supported_instances=supported, hypervisor_version=version)
    assert passes(plugin, the_host, state(spec(the_image=image(**props)))) is expected


def test_image_properties_default_architecture() -> None:
    plugin = ImagePropertiesFilter(conf(filter_scheduler={
        "image_properties_default_architecture": "aarch64"}))
    assert not passes(plugin, host(supported_instances=FAKE), state())
    assert passes(plugin, host(supported_instances=[("aarch64", "fake", "hvm")]), state())


def test_version_helpers() -> None:
    assert version_string(1000) == "1.0" and version_string(6002001) == "6.2.1"
    assert satisfies("6.2.1", ">=6.2, <6.3") and not satisfies("6.3", ">=6.2, <6.3")
    assert satisfies("2.0", "== 2") and satisfies("2.1", "!= 2.0")


@pytest.mark.parametrize("value,requirement,expected", [
    ("1", "1", True), ("1", "2", False),
    ("8", "= 4", True), ("2", "= 4", False),  # "=": at least
    ("4", "== 4.0", True), ("4", "!= 4", False), ("3", "<= 4", True), ("5", ">= 4", True),
    ("abc", "s== abc", True), ("abc", "s!= abc", False), ("abc", "s< abd", True),
    ("gpu,ssd", "<in> ssd", True), ("gpu", "<in> ssd", False),
    ("gpu ssd", "<all-in> gpu ssd", True), ("gpu", "<all-in> gpu ssd", False),
    ("b", "<or> a <or> b <or> c", True), ("d", "<or> a <or> b", False),
    ("x", "= 4", False),  # no number: no match, no error
    (None, "= 4", False),
])
def test_extra_specs_ops(value: str | None, requirement: str, expected: bool) -> None:
    assert extra_specs_ops.match(value, requirement) is expected


def test_aggregate_instance_extra_specs() -> None:
    plugin = AggregateInstanceExtraSpecsFilter(CONF)
    ssd = host(aggregates=[aggregate(ssd="true", cpu_count="16")])
    plain = host("host-2", aggregates=[aggregate(other="x")])
    wants_ssd = state(spec(flavor(ssd="true")))
    assert passes(plugin, ssd, wants_ssd) and not passes(plugin, plain, wants_ssd)
    scoped = state(spec(flavor(**{"aggregate_instance_extra_specs:cpu_count": ">= 8"})))
    assert passes(plugin, ssd, scoped) and not passes(plugin, plain, scoped)
    # Other scopes (hw:, resources:, trait:) are not this filter's business.
    other_scope = state(spec(flavor(**{"hw:cpu_policy": "dedicated",
                                       "trait:CUSTOM_X": "required"})))
    assert passes(plugin, plain, other_scope)
    assert passes(plugin, plain, state())  # no extra specs at all


def test_aggregate_image_properties_isolation() -> None:
    plugin = AggregateImagePropertiesIsolation(CONF)
    linux = host(aggregates=[aggregate(os_distro="ubuntu,debian")])
    assert passes(plugin, linux, state(spec(the_image=image(os_distro="debian"))))
    assert not passes(plugin, linux, state(spec(the_image=image(os_distro="windows"))))
    assert passes(plugin, linux, state(spec(the_image=image())))  # the image says nothing
    namespaced = AggregateImagePropertiesIsolation(conf(filter_scheduler={
        "aggregate_image_properties_isolation_namespace": "ns"}))
    assert passes(namespaced, linux, state(spec(the_image=image(os_distro="windows"))))


def test_aggregate_multi_tenancy_isolation() -> None:
    plugin = AggregateMultiTenancyIsolation(CONF)
    kept = host(aggregates=[aggregate(filter_tenant_id="p1,p2"),
                            aggregate(filter_tenant_id3="p3")])
    assert passes(plugin, kept, state(spec(project_id="p2")))
    assert passes(plugin, kept, state(spec(project_id="p3")))  # a suffixed key
    assert not passes(plugin, kept, state(spec(project_id="p9")))
    assert passes(plugin, host("open", aggregates=[aggregate(other="x")]),
                  state(spec(project_id="p9")))


def test_num_instances_and_io_ops_filters() -> None:
    options = conf(filter_scheduler={"max_instances_per_host": 3, "max_io_ops_per_host": 2})
    busy = host(num_instances=3, num_io_ops=2)
    calm = host("host-2", num_instances=2, num_io_ops=1)
    for plugin in (NumInstancesFilter(options), IoOpsFilter(options)):
        assert not passes(plugin, busy, state()) and passes(plugin, calm, state())
    # Per aggregate: the smallest value wins; a value that is no number is ignored.
    roomy = host(num_instances=3, num_io_ops=2,
                 aggregates=[aggregate(max_instances_per_host="10", max_io_ops_per_host="5"),
                             aggregate(max_instances_per_host="4")])
    assert passes(AggregateNumInstancesFilter(options), roomy, state())
    assert passes(AggregateIoOpsFilter(options), roomy, state())
    tight = host(num_instances=1, aggregates=[aggregate(max_instances_per_host="1")])
    assert not passes(AggregateNumInstancesFilter(options), tight, state())
    garbled = host(num_instances=2, aggregates=[aggregate(max_instances_per_host="many")])
    assert passes(AggregateNumInstancesFilter(options), garbled, state())


@pytest.mark.parametrize("images,hosts,restrict,image_id,host_name,expected", [
    ([], [], True, "i", "h", True),
    ([], ["h"], True, "i", "h", False),  # no isolated images: isolated hosts stay empty
    ([], ["h"], False, "i", "h", True),
    (["iso"], ["h"], True, "iso", "h", True),
    (["iso"], ["h"], True, "iso", "other", False),
    (["iso"], ["h"], True, "plain", "h", False),
    (["iso"], ["h"], False, "plain", "h", True),
    (["iso"], ["h"], False, "iso", "other", False),
])
def test_isolated_hosts(images: list[str], hosts: list[str], restrict: bool, image_id: str,
                        host_name: str, expected: bool) -> None:
    plugin = IsolatedHostsFilter(conf(filter_scheduler={
        "isolated_images": images, "isolated_hosts": hosts,
        "restrict_isolated_hosts_to_isolated_images": restrict}))
    the_state = state(spec(the_image=image(image_id=image_id)))
    assert passes(plugin, host(host_name), the_state) is expected


def test_group_filters_count_members_where_they_run() -> None:
    anti = ServerGroupAntiAffinityFilter(CONF)
    affinity = ServerGroupAffinityFilter(CONF)
    one_on_h1 = group("anti-affinity", {"m1": "host-1"})
    assert not passes(anti, host("host-1"), state(group=one_on_h1))
    assert passes(anti, host("host-2"), state(group=one_on_h1))
    two_per_host = group("anti-affinity", {"m1": "host-1"}, max_server_per_host=2)
    assert passes(anti, host("host-1"), state(group=two_per_host))
    two_per_host.place("m2", "host-1")  # a multi-create placed another there
    assert not passes(anti, host("host-1"), state(group=two_per_host))
    together = group("affinity", {"m1": "host-2"})
    assert passes(affinity, host("host-2"), state(group=together))
    assert not passes(affinity, host("host-1"), state(group=together))
    assert passes(affinity, host("host-1"), state(group=group("affinity")))  # first member
    # Other policies (and no group) are not these filters' business.
    for plugin in (anti, affinity):
        assert passes(plugin, host("host-1"), state(group=group("soft-affinity",
                                                                {"m1": "host-2"})))
        assert passes(plugin, host("host-1"), state())
