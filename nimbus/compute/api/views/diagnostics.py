"""Server diagnostics: the standard body (2.48) and the driver-shaped dict before it.

Drivers give the standard form. Before 2.48 Nova answered whatever its
driver returned; the flat form libvirt returns (``cpu0_time``, ``memory``,
``vda_read``, ``<nic>_rx``...) is derived from the standard one here.
"""

from __future__ import annotations

from typing import Any

_PRIMITIVE = ("state", "driver", "hypervisor", "hypervisor_os", "uptime", "config_drive",
              "num_cpus", "num_nics", "num_disks")
_LISTS = {
    "cpu_details": ("id", "time", "utilisation"),
    "nic_details": ("mac_address", "rx_octets", "rx_errors", "rx_drop", "rx_packets",
                    "rx_rate", "tx_octets", "tx_errors", "tx_drop", "tx_packets", "tx_rate"),
    "disk_details": ("read_bytes", "read_requests", "write_bytes", "write_requests",
                     "errors_count"),
}
_MEMORY = ("maximum", "used")


def standard(diagnostics: dict[str, Any]) -> dict[str, Any]:
    """Every field of 2.48's body, null where the driver does not know it."""
    body: dict[str, Any] = {key: diagnostics.get(key) for key in _PRIMITIVE}
    for name, keys in _LISTS.items():
        body[name] = [{key: item.get(key) for key in keys}
                      for item in diagnostics.get(name) or []]
    memory = diagnostics.get("memory_details") or {}
    body["memory_details"] = {key: memory.get(key) for key in _MEMORY}
    return body


def legacy(diagnostics: dict[str, Any]) -> dict[str, Any]:
    """The flat pre-2.48 form: per CPU its time, memory in KiB, per disk
    (vda, vdb...) and per NIC its counters."""
    body: dict[str, Any] = {}
    for cpu in diagnostics.get("cpu_details") or []:
        body[f"cpu{cpu.get('id', 0)}_time"] = cpu.get("time")
    maximum = (diagnostics.get("memory_details") or {}).get("maximum")
    if maximum is not None:
        body["memory"] = maximum * 1024
    for index, disk in enumerate(diagnostics.get("disk_details") or []):
        name = "vd" + chr(ord("a") + index)
        body.update({f"{name}_read": disk.get("read_bytes"),
                     f"{name}_read_req": disk.get("read_requests"),
                     f"{name}_write": disk.get("write_bytes"),
                     f"{name}_write_req": disk.get("write_requests"),
                     f"{name}_errors": disk.get("errors_count")})
    for index, nic in enumerate(diagnostics.get("nic_details") or []):
        name = f"vnet{index}"
        for field in ("rx", "tx"):
            body[f"{name}_{field}"] = nic.get(f"{field}_octets")
            for counter in ("drop", "errors", "packets"):
                body[f"{name}_{field}_{counter}"] = nic.get(f"{field}_{counter}")
    return body
