"""Flavor extra spec validation (microversion 2.86 and later)."""

from __future__ import annotations

import pytest

from nimbus.compute import extra_specs
from nimbus.compute.exceptions import ExtraSpecInvalid


@pytest.mark.parametrize("name,value", [
    ("hw:cpu_policy", "dedicated"),
    ("hw:cpu_policy", "mixed"),
    ("hw:mem_page_size", "large"),
    ("hw:mem_page_size", "2MiB"),
    ("hw:mem_page_size", "1048576"),
    ("hw:numa_nodes", "2"),
    ("hw:numa_cpus.0", "0-3,^2"),
    ("hw:numa_mem.1", "2048"),
    ("hw:cpu_realtime", "yes"),
    ("resources:VCPU", "4"),
    ("resources1:MEMORY_MB", "1024"),
    ("resources_group-a:CUSTOM_GPU", "1"),
    ("trait:HW_CPU_X86_AVX2", "required"),
    ("trait2:CUSTOM_FAST", "forbidden"),
    ("aggregate_instance_extra_specs:ssd", "true"),
    ("quota:disk_read_bytes_sec", "10240"),
    ("quota:cpu_shares_level", "custom"),
    ("capabilities:hypervisor_type", "QEMU"),
    ("pci_passthrough:alias", "a1:2, a2:1"),
    ("group_policy", "isolate"),
    # Unknown namespaces and names without one are the operator's business.
    ("mycompany:gold", "anything"),
    ("ssd", "true"),
])
def test_accepted(name, value):
    extra_specs.validate(name, value)


@pytest.mark.parametrize("name,value,says", [
    ("hw:cpu_policy", "pinned", "is not one of: dedicated, shared, mixed"),
    ("hw:mem_page_size", "huge", "is not of the format"),
    ("hw:numa_nodes", "0", "less than the min value of '1'"),
    ("hw:numa_nodes", "two", "not a valid integer value"),
    ("hw:redirected_usb_ports", "16", "greater than the max value of '15'"),
    ("hw:cpu_realtime", "maybe", "not a valid boolean-like value"),
    ("hw:no_such_thing", "1", "does not appear to be a valid extra spec"),
    ("resources:VCPU", "many", "not a valid integer value"),
    ("resources:NOT_A_CLASS", "1", "does not appear to be a valid extra spec"),
    ("trait:HW_CPU_X86_AVX2", "wanted", "is not one of: required, forbidden"),
    ("trait:lowercase", "required", "does not appear to be a valid extra spec"),
    ("quota:cpu_limit", "-1", "less than the min value of '0'"),
    ("group_policy", "spread", "is not one of: isolate, none"),
])
def test_refused(name, value, says):
    with pytest.raises(ExtraSpecInvalid) as err:
        extra_specs.validate(name, value)
    assert says in str(err.value)
    assert str(err.value).startswith("Validation failed; ")
