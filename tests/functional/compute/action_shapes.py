"""Response shapes of server actions and server sub-resources per microversion,
written from Tempest's compute response schemas (additionalProperties
false), so that a field too many or too few fails here as it would there."""

from __future__ import annotations

import copy
from typing import Any

from tests.functional.compute.shapes import check

__all__ = ["check"]

_DATE_TIME = {"type": "string", "format": "date-time"}
_DATE_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_LINKS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object",
              "properties": {"href": {"type": "string", "format": "uri"},
                             "rel": {"type": "string"}},
              "required": ["href", "rel"], "additionalProperties": False},
}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def _at_least(version: str, since: str) -> bool:
    return tuple(int(p) for p in version.split(".")) >= tuple(int(p) for p in since.split("."))


# --- instance actions ------------------------------------------------------

_ACTION = _object({
    "action": {"type": "string"}, "request_id": {"type": "string"},
    "user_id": {"type": "string"}, "project_id": {"type": "string"},
    "start_time": _DATE_TIME, "message": {"type": ["string", "null"]},
    "instance_uuid": {"type": "string"},
}, ["action", "request_id", "user_id", "project_id", "start_time", "message",
    "instance_uuid"])

_EVENT = _object({
    "event": {"type": "string"}, "start_time": _DATE_TIME,
    "finish_time": _DATE_TIME_OR_NULL, "result": {"type": ["string", "null"]},
    "traceback": {"type": ["string", "null"]},
}, ["event", "start_time", "finish_time", "result"])


def instance_action_list(version: str) -> dict[str, Any]:
    item = copy.deepcopy(_ACTION)
    properties: dict[str, Any] = {"instanceActions": {"type": "array", "items": item}}
    if _at_least(version, "2.58"):
        item["properties"]["updated_at"] = _DATE_TIME
        item["required"].append("updated_at")
        properties["links"] = _LINKS
    return _object(properties, ["instanceActions"])


def instance_action(version: str) -> dict[str, Any]:
    action = copy.deepcopy(_ACTION)
    event = copy.deepcopy(_EVENT)
    action["properties"]["events"] = {"type": "array", "items": event}
    if _at_least(version, "2.51"):
        action["required"].append("events")
    if _at_least(version, "2.58"):
        action["properties"]["updated_at"] = _DATE_TIME
        action["required"].append("updated_at")
    if _at_least(version, "2.62"):
        event["properties"]["hostId"] = {"type": "string"}
        event["properties"]["host"] = {"type": "string"}
        event["required"].append("hostId")
    if _at_least(version, "2.84"):
        event["properties"]["details"] = {"type": ["string", "null"]}
    return _object({"instanceAction": action}, ["instanceAction"])


# --- metadata and tags -----------------------------------------------------

_METADATA = {"type": "object", "patternProperties": {"^.+$": {"type": "string"}}}
METADATA = _object({"metadata": _METADATA}, ["metadata"])
META_ITEM = _object({"meta": _METADATA}, ["meta"])
TAGS = _object({"tags": {"type": "array", "maxItems": 50,
                         "items": {"type": "string", "pattern": "^[^,/]*$",
                                   "maxLength": 60}}}, ["tags"])

# --- console, password, addresses, consoles ------------------------------------

CONSOLE_OUTPUT = _object({"output": {"type": "string"}}, ["output"])
PASSWORD = _object({"password": {"type": "string"}}, ["password"])
_ADDRESSES = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_.]+$": {"type": "array", "items": _object(
        {"version": {"enum": [4, 6]},
         "addr": {"type": "string", "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]}},
        ["version", "addr"])}},
}
ADDRESSES = _object({"addresses": _ADDRESSES}, ["addresses"])
ADDRESSES_BY_NETWORK = _ADDRESSES

# --- diagnostics (2.48) ------------------------------------------------------

_NULLABLE_INT = {"type": ["integer", "null"]}
# The driver names Nova's Diagnostics object allows (the fake driver says libvirt, as Nova's).
DIAGNOSTICS_V2_48 = _object({
    "state": {"type": "string", "enum": ["pending", "running", "paused", "shutdown",
                                         "crashed", "suspended"]},
    "driver": {"type": "string", "enum": ["libvirt", "xenapi", "vmwareapi", "ironic",
                                          "hyperv"]},
    "hypervisor": {"type": ["string", "null"]}, "hypervisor_os": {"type": ["string", "null"]},
    "uptime": _NULLABLE_INT, "config_drive": {"type": "boolean"},
    "num_cpus": {"type": "integer"}, "num_nics": {"type": "integer"},
    "num_disks": {"type": "integer"},
    "memory_details": _object({"maximum": _NULLABLE_INT, "used": _NULLABLE_INT},
                              ["maximum", "used"]),
    "cpu_details": {"type": "array", "items": _object(
        {"id": _NULLABLE_INT, "time": _NULLABLE_INT, "utilisation": _NULLABLE_INT},
        ["id", "time", "utilisation"])},
    "nic_details": {"type": "array", "items": _object(
        {k: _NULLABLE_INT for k in ("rx_octets", "rx_errors", "rx_drop", "rx_packets",
                                    "rx_rate", "tx_octets", "tx_errors", "tx_drop",
                                    "tx_packets", "tx_rate")}
        | {"mac_address": {"type": ["string", "null"]}},
        ["mac_address", "rx_octets", "rx_errors", "rx_drop", "rx_packets", "rx_rate",
         "tx_octets", "tx_errors", "tx_drop", "tx_packets", "tx_rate"])},
    "disk_details": {"type": "array", "items": _object(
        {k: _NULLABLE_INT for k in ("read_bytes", "read_requests", "write_bytes",
                                    "write_requests", "errors_count")},
        ["read_bytes", "read_requests", "write_bytes", "write_requests", "errors_count"])},
}, ["state", "driver", "hypervisor", "hypervisor_os", "uptime", "config_drive", "num_cpus",
    "num_nics", "num_disks", "memory_details", "cpu_details", "nic_details", "disk_details"])

# --- external events ----------------------------------------------------------

_EVENT_NAMES = ["network-changed", "network-vif-plugged", "network-vif-unplugged",
                "network-vif-deleted"]


def external_events(version: str) -> dict[str, Any]:
    names = list(_EVENT_NAMES)
    for since, name in (("2.51", "volume-extended"), ("2.76", "power-update"),
                        ("2.82", "accelerator-request-bound")):
        if _at_least(version, since):
            names.append(name)
    item = _object({
        "server_uuid": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "enum": names},
        "status": {"type": "string", "enum": ["failed", "completed", "in-progress"]},
        "tag": {"type": "string", "maxLength": 255},
        "code": {"type": "integer", "enum": [200, 400, 404, 422]},
    }, ["server_uuid", "name", "code", "status"])
    return _object({"events": {"type": "array", "minItems": 1, "items": item}}, ["events"])
