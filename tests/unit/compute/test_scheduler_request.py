"""What placement is asked for a request spec: resources and traits from the
flavor and the image, granular groups, and what the request filters add."""

from __future__ import annotations

from nimbus.compute.scheduler import request
from nimbus.compute.scheduler.request import Destination
from tests.unit.compute.scheduling import flavor, image, spec


def test_flavor_sizes_and_overrides() -> None:
    plain = request.from_spec(spec(flavor(vcpus=2, ram=1024, disk=10)))
    assert plain.query(50) == {"limit": "50", "resources": "DISK_GB:10,MEMORY_MB:1024,VCPU:2"}
    overridden = request.from_spec(spec(flavor(
        vcpus=2, ram=1024, disk=10, **{"resources:VCPU": "4", "resources:DISK_GB": "0",
                                       "resources:CUSTOM_FPGA": "1"})))
    assert overridden.merged_resources() == {"VCPU": 4, "MEMORY_MB": 1024, "CUSTOM_FPGA": 1}
    volume = request.from_spec(spec(flavor(disk=10), is_bfv=True))
    assert "DISK_GB" not in volume.merged_resources()


def test_traits_from_flavor_and_image() -> None:
    wanted = request.from_spec(spec(
        flavor(**{"trait:HW_CPU_X86_AVX": "required", "trait:CUSTOM_SLOW": "forbidden",
                  "trait:CUSTOM_IGNORED": "preferred"}),
        image(**{"trait:COMPUTE_NET_VIF_MODEL_VIRTIO": "required",
                 "trait:CUSTOM_FROM_IMAGE": "forbidden"})))
    params = wanted.query(10)
    # The image may require, not forbid (Nova's traits_required).
    assert params["required"] == "COMPUTE_NET_VIF_MODEL_VIRTIO,HW_CPU_X86_AVX,!CUSTOM_SLOW"


def test_granular_groups_and_group_policy() -> None:
    wanted = request.from_spec(spec(flavor(
        vcpus=2, ram=2048, disk=20,
        **{"resources1:VCPU": "1", "resources1:MEMORY_MB": "1024", "trait1:CUSTOM_NUMA0":
           "required", "resources2:VCPU": "1", "resources2:MEMORY_MB": "1024",
           "trait2:CUSTOM_NUMA1": "required", "resources_GPU:VGPU": "1",
           "trait_GPU:CUSTOM_SLOW_GPU": "forbidden", "group_policy": "isolate"})))
    params = wanted.query(5, Destination(member_of=[["a2", "a1"], ["b1"]],
                                         root_required={"CUSTOM_ROOT"},
                                         root_forbidden={"COMPUTE_STATUS_DISABLED"},
                                         in_tree="rp-1"))
    assert params == {
        "limit": "5", "group_policy": "isolate",
        "root_required": "CUSTOM_ROOT,!COMPUTE_STATUS_DISABLED",
        # VCPU and MEMORY_MB come from the groups, so not again unsuffixed.
        "resources": "DISK_GB:20",
        "resources1": "MEMORY_MB:1024,VCPU:1", "required1": "CUSTOM_NUMA0",
        "resources2": "MEMORY_MB:1024,VCPU:1", "required2": "CUSTOM_NUMA1",
        "resources_GPU": "VGPU:1", "required_GPU": "!CUSTOM_SLOW_GPU",
        "member_of": ["in:a1,a2", "in:b1"], "in_tree": "rp-1"}
    assert wanted.merged_resources() == {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20,
                                         "VGPU": 1}


def test_bad_extra_specs_are_ignored() -> None:
    wanted = request.from_spec(spec(flavor(**{"resources:VCPU": "many",
                                              "group_policy": "sometimes",
                                              "hw:cpu_policy": "dedicated"})))
    assert wanted.group_policy is None
    assert wanted.merged_resources()["VCPU"] == 1


def test_resources_from_flavor_for_healing() -> None:
    assert request.resources_from_flavor(flavor(vcpus=2, ram=256, disk=5), is_bfv=False) == {
        "VCPU": 2, "MEMORY_MB": 256, "DISK_GB": 5}
    assert request.resources_from_flavor(
        flavor(disk=5, **{"resources:VCPU": "0"}), is_bfv=True) == {"MEMORY_MB": 512}
