"""The scheduler on a running cloud: placement prefilters, filters and weighers
as plugins, the "No valid host" fault, and what is left in placement after."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from nimbus.compute.runtime import internal_context
from nimbus.compute.scheduler import request
from tests.functional.compute import behind
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_servers import wait_for
from tests.support.cloud import RunningCloud

# Nova's reasons, as a user reads them in the fault.
NOT_ENOUGH = "No valid host was found. There are not enough hosts available."
NO_CANDIDATES = "No valid host was found. "


def create(person: Person, image: str, flavor: dict[str, Any], hints: dict[str, Any] | None = None,
           version: str = "2.1", **server: Any) -> list[str]:
    """POST /servers; the ids of the servers it created."""
    body: dict[str, Any] = {"server": {"name": f"s-{uuid.uuid4().hex[:6]}", "imageRef": image,
                                       "flavorRef": flavor["id"], **server}}
    if hints:
        body["os:scheduler_hints"] = hints
    if int(server.get("max_count", 1)) > 1:
        body["server"]["return_reservation_id"] = True
    resp = person.http("POST", "/servers", json=body, version=version)
    assert resp.status_code == 202, resp.text
    answer = resp.json()
    if "reservation_id" not in answer:
        return [answer["server"]["id"]]
    listed = person.http("GET", f"/servers?reservation_id={answer['reservation_id']}").json()
    return sorted(s["id"] for s in listed["servers"])


def delete_all(person: Person, *server_ids: str) -> None:
    for server_id in server_ids:
        person.http("DELETE", f"/servers/{server_id}")
    for server_id in server_ids:
        wait_for(person, server_id, "DELETED")


def failed(admin: Person, cloud: RunningCloud, server_id: str) -> dict[str, Any]:
    """A server that could not be scheduled: ERROR in cell0 with no claim; its fault
    as an admin sees it (with details)."""
    body = wait_for(admin, server_id, "ERROR")
    assert behind.in_cell0(cloud, server_id)
    assert behind.allocations(admin, cloud, server_id) == {}
    fault: dict[str, Any] = body["fault"]
    assert fault["code"] == 500
    return fault


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture(scope="module")
def make_image(admin: Person) -> Callable[..., str]:
    def make(disk_format: str = "raw", **properties: str) -> str:
        img = admin.conn.image.create_image(
            name=f"img-{uuid.uuid4().hex[:6]}", disk_format=disk_format,
            container_format="bare", visibility="public", data=b"\0" * 1024, **properties)
        return str(img.id)
    return make


def test_image_properties_pick_the_host_that_runs_them(
        cloud: RunningCloud, admin: Person, alice: Person, flavor: dict[str, Any],
        make_image: Callable[..., str]) -> None:
    arm = behind.driver(cloud, "host-2")
    arm.supported_instances = (("aarch64", "fake", "hvm"),)
    behind.report(cloud, "host-2")
    try:
        (on_arm,) = create(alice, make_image(hw_architecture="aarch64"), flavor)
        (on_x86,) = create(alice, make_image(hw_architecture="x86_64", img_hv_type="fake",
                                             img_hv_requested_version=">=1.0"), flavor)
        wait_for(alice, on_arm, "ACTIVE")
        wait_for(alice, on_x86, "ACTIVE")
        assert behind.host_of(admin, on_arm) == "host-2"
        assert behind.host_of(admin, on_x86) == "host-1"
        (nowhere,) = create(alice, make_image(hw_architecture="ppc64le"), flavor)
        fault = failed(admin, cloud, nowhere)
        assert fault["message"] == NOT_ENOUGH
        assert fault["details"] == (
            f"Filtering removed all hosts for the request with instance ID '{nowhere}'. "
            "Filter results: ['ComputeFilter: (start: 2, end: 2)', "
            "'AvailabilityZoneFilter: (start: 2, end: 2)', "
            "'ImagePropertiesFilter: (start: 2, end: 0)']")
        # The owner sees Nova's message, not the details (they are for admins).
        assert "details" not in alice.http("GET", f"/servers/{nowhere}").json()["server"][
            "fault"]
        delete_all(alice, on_arm, on_x86, nowhere)
    finally:
        arm.supported_instances = (("x86_64", "fake", "hvm"),)
        behind.report(cloud, "host-2")


def test_aggregate_extra_specs_and_tenancy_filters(
        cloud: RunningCloud, admin: Person, make_person: Callable[..., Person], image: str,
        flavor: dict[str, Any]) -> None:
    bob, eve = make_person(), make_person()
    ssd = new_flavor(admin, ram=128, vcpus=1, disk=1)
    resp = admin.http("POST", f"/flavors/{ssd['id']}/os-extra_specs", version="2.86",
                      json={"extra_specs": {"aggregate_instance_extra_specs:ssd": "true"}})
    assert resp.status_code == 200, resp.text
    hosts = ["host-1"]
    agg = behind.make_aggregate(admin, cloud, hosts, {"ssd": "true",
                                                      "filter_tenant_id": bob.project_id})
    try:
        with behind.with_filters(cloud, "AggregateInstanceExtraSpecsFilter",
                                 "AggregateMultiTenancyIsolation"):
            (bobs,) = create(bob, image, ssd)
            wait_for(bob, bobs, "ACTIVE")
            assert behind.host_of(admin, bobs) == "host-1"
            # host-1 is kept for bob; host-2 has no SSD.
            (eves,) = create(eve, image, ssd)
            fault = failed(admin, cloud, eves)
            assert fault["details"].endswith(
                "'AggregateInstanceExtraSpecsFilter: (start: 2, end: 1)', "
                "'AggregateMultiTenancyIsolation: (start: 1, end: 0)']")
            # A flavor asking for nothing of aggregates stays off bob's host.
            (plain,) = create(eve, image, flavor)
            wait_for(eve, plain, "ACTIVE")
            assert behind.host_of(admin, plain) == "host-2"
        delete_all(bob, bobs)
        delete_all(eve, eves, plain)
    finally:
        behind.drop_aggregate(cloud, agg, hosts)


def test_tenants_confined_to_their_placement_aggregates(
        cloud: RunningCloud, admin: Person, make_person: Callable[..., Person], image: str,
        flavor: dict[str, Any]) -> None:
    carol, dave = make_person(), make_person()
    hosts = ["host-2"]
    agg = behind.make_aggregate(admin, cloud, hosts, {"filter_tenant_id2": carol.project_id})
    sched = behind.scheduler(cloud)
    try:
        with behind.overridden(cloud, "scheduler", limit_tenants_to_placement_aggregate=True):
            # Placement itself returns only carol's host: no filter is involved.
            spec = request_spec(carol, flavor)
            found = sched._candidates(spec, request.from_spec(spec))
            assert [h.host for h in found] == ["host-2"]
            ids = create(carol, image, flavor, min_count=2, max_count=2)
            for server_id in ids:
                wait_for(carol, server_id, "ACTIVE")
                assert behind.host_of(admin, server_id) == "host-2"
            # A tenant no aggregate names goes anywhere...
            (anywhere,) = create(dave, image, flavor)
            wait_for(dave, anywhere, "ACTIVE")
            # ...unless every tenant must have one.
            with behind.overridden(cloud, "scheduler",
                                   placement_aggregate_required_for_tenants=True):
                (refused,) = create(dave, image, flavor)
                fault = failed(admin, cloud, refused)
                assert fault["message"] == ("No valid host was found. Scheduling failed: "
                                            "No hosts available for tenant")
        delete_all(carol, *ids)
        delete_all(dave, anywhere, refused)
    finally:
        behind.drop_aggregate(cloud, agg, hosts)


def request_spec(person: Person, flavor: dict[str, Any], **values: Any) -> Any:
    """A request spec as the API makes one, for asking the scheduler directly."""
    from nimbus.compute.objects.flavor import Flavor
    from nimbus.compute.objects.image import ImageMeta
    from nimbus.compute.objects.request_spec import RequestSpec

    the_flavor = Flavor(id=0, flavorid=flavor["id"], name=flavor["name"],
                        memory_mb=flavor["ram"], vcpus=flavor["vcpus"], root_gb=flavor["disk"],
                        ephemeral_gb=0, swap=0, rxtx_factor=1.0, vcpu_weight=None,
                        disabled=False, is_public=True, description=None, extra_specs={})
    image = ImageMeta(id=str(uuid.uuid4()), name="i", status="active", disk_format="raw",
                      container_format="bare", size=1, virtual_size=1, min_disk=0, min_ram=0,
                      checksum=None, os_hash_algo=None, os_hash_value=None, properties={})
    return RequestSpec.new(instance_uuid=str(uuid.uuid4()), project_id=person.project_id,
                           user_id=person.user_id, flavor=the_flavor, image=image, **values)


def test_a_disabled_compute_service_is_left_out_by_placement(
        cloud: RunningCloud, admin: Person, alice: Person, image: str,
        flavor: dict[str, Any]) -> None:
    host_1 = behind.agent(cloud, "host-1")
    behind.set_service(cloud, "host-1", disabled=True, disabled_reason="maintenance")
    try:
        host_1.heartbeat(internal_context())  # the agent learns it with its next beat
        assert "COMPUTE_STATUS_DISABLED" in behind.traits(admin, cloud, "host-1")
        spec = request_spec(alice, flavor)
        sched = behind.scheduler(cloud)
        assert [h.host for h in sched._candidates(spec, request.from_spec(spec))] == ["host-2"]
        ids = create(alice, image, flavor, min_count=2, max_count=2)
        for server_id in ids:
            wait_for(alice, server_id, "ACTIVE")
            assert behind.host_of(admin, server_id) == "host-2"
        delete_all(alice, *ids)
    finally:
        behind.set_service(cloud, "host-1", disabled=False, disabled_reason=None)
        host_1.heartbeat(internal_context())
    assert "COMPUTE_STATUS_DISABLED" not in behind.traits(admin, cloud, "host-1")
    # The agents' RPC API lets the services API say it at once.
    rt = behind.runtime(cloud)
    cell = rt.cells.for_host("host-2")
    ctxt = internal_context()
    assert rt.compute_api(cell).set_host_enabled(ctxt, "host-2", False) == "disabled"
    assert "COMPUTE_STATUS_DISABLED" in behind.traits(admin, cloud, "host-2")
    assert rt.compute_api(cell).set_host_enabled(ctxt, "host-2", True) == "enabled"
    assert "COMPUTE_STATUS_DISABLED" not in behind.traits(admin, cloud, "host-2")


def test_image_type_support_through_placement(
        cloud: RunningCloud, admin: Person, alice: Person, flavor: dict[str, Any],
        make_image: Callable[..., str]) -> None:
    drivers = [behind.driver(cloud, "host-1"), behind.driver(cloud, "host-2")]
    drivers[0].image_types = {"raw"}
    drivers[1].image_types = {"raw", "ami"}
    behind.report(cloud)
    try:
        assert "COMPUTE_IMAGE_TYPE_AMI" not in behind.traits(admin, cloud, "host-1")
        assert "COMPUTE_IMAGE_TYPE_AMI" in behind.traits(admin, cloud, "host-2")
        with behind.overridden(cloud, "scheduler", query_placement_for_image_type_support=True):
            ids = create(alice, make_image("ami"), flavor, min_count=2, max_count=2)
            for server_id in ids:
                wait_for(alice, server_id, "ACTIVE")
                assert behind.host_of(admin, server_id) == "host-2"
            (unsupported,) = create(alice, make_image("aki"), flavor)
            fault = failed(admin, cloud, unsupported)
            assert fault["message"] == NO_CANDIDATES
            assert fault["details"].startswith("Got no allocation candidates from the "
                                               "Placement API.")
        # Without the prefilter, the format does not matter.
        (anywhere,) = create(alice, make_image("aki"), flavor)
        wait_for(alice, anywhere, "ACTIVE")
        delete_all(alice, *ids, unsupported, anywhere)
    finally:
        for fake in drivers:
            fake.image_types = {"raw", "qcow2", "iso", "aki", "ari", "ami"}
        behind.report(cloud)


def test_traits_and_granular_groups_from_flavor_and_image(
        cloud: RunningCloud, admin: Person, alice: Person, image: str,
        make_image: Callable[..., str]) -> None:
    trait = f"CUSTOM_FAST_{uuid.uuid4().hex[:6].upper()}"
    behind.add_trait(admin, cloud, "host-2", trait)
    behind.report(cloud)  # the agent keeps a trait an operator added
    assert trait in behind.traits(admin, cloud, "host-2")

    def flavor_with(**specs: str) -> dict[str, Any]:
        made = new_flavor(admin, ram=128, vcpus=2, disk=1)
        resp = admin.http("POST", f"/flavors/{made['id']}/os-extra_specs", version="2.86",
                          json={"extra_specs": specs})
        assert resp.status_code == 200, resp.text
        return made

    cases = [
        (flavor_with(**{f"trait:{trait}": "required"}), image, "host-2"),
        (flavor_with(**{f"trait:{trait}": "forbidden"}), image, "host-1"),
        (new_flavor(admin, ram=128, vcpus=1, disk=1),
         make_image(**{f"trait:{trait}": "required"}), "host-2"),
        # A granular group: one provider with the VCPUs and the trait.
        (flavor_with(**{"resources1:VCPU": "2", f"trait1:{trait}": "required",
                        "group_policy": "none"}), image, "host-2"),
    ]
    created = []
    for flavor, image_id, expected in cases:
        (server_id,) = create(alice, image_id, flavor)
        wait_for(alice, server_id, "ACTIVE")
        assert behind.host_of(admin, server_id) == expected, flavor
        claimed = behind.allocations(admin, cloud, server_id)
        assert list(claimed) == [behind.provider(cloud, expected)]
        created.append(server_id)
    delete_all(alice, *created)


def test_per_aggregate_weight_multipliers_stack(
        cloud: RunningCloud, admin: Person, alice: Person, image: str,
        flavor: dict[str, Any]) -> None:
    """Free RAM (and I/O operations under way) spread by default; an aggregate
    over both hosts that stacks by RAM and ignores the rest puts the servers
    on the fuller host."""
    hosts = ["host-1", "host-2"]
    spread = create(alice, image, flavor, min_count=2, max_count=2)
    for server_id in spread:
        wait_for(alice, server_id, "ACTIVE")
    assert {behind.host_of(admin, s) for s in spread} == {"host-1", "host-2"}
    big = new_flavor(admin, ram=4096, vcpus=1, disk=1)
    (ballast,) = create(admin, image, big, availability_zone="nova:host-1")
    wait_for(admin, ballast, "ACTIVE")
    agg = behind.make_aggregate(admin, cloud, hosts, {
        "ram_weight_multiplier": "-1.0", "cpu_weight_multiplier": "0",
        "disk_weight_multiplier": "0", "io_ops_weight_multiplier": "0"})
    try:
        stacked = create(alice, image, flavor, min_count=2, max_count=2)
        for server_id in stacked:
            wait_for(alice, server_id, "ACTIVE")
            assert behind.host_of(admin, server_id) == "host-1"
    finally:
        behind.drop_aggregate(cloud, agg, hosts)
    delete_all(alice, *spread, *stacked)
    delete_all(admin, ballast)


def test_forced_host_skips_the_filters_but_not_placement(
        cloud: RunningCloud, admin: Person, image: str, flavor: dict[str, Any],
        make_image: Callable[..., str]) -> None:
    """Nova: a forced host (zone:host, admins) is not filtered; placement still
    decides whether it has room."""
    (forced,) = create(admin, make_image(hw_architecture="ppc64le"), flavor,
                       availability_zone="nova:host-2")
    wait_for(admin, forced, "ACTIVE")
    assert behind.host_of(admin, forced) == "host-2"
    huge = new_flavor(admin, ram=10 ** 7, vcpus=1, disk=1)
    behind.set_quota(cloud, admin.project_id, ram=-1)
    (too_big,) = create(admin, image, huge, availability_zone="nova:host-2")
    fault = failed(admin, cloud, too_big)
    assert fault["message"] == NO_CANDIDATES
    delete_all(admin, forced, too_big)
