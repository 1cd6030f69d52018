"""Request bodies of /servers (create, update) per microversion.

Each version's schema is the previous one with what that version changed,
made by :func:`_create` from a table of changes rather than written out
again.
"""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import BOOLEAN, DESCRIPTION_TEXT, NAME, metadata

_UUID = {"type": "string", "format": "uuid"}
_TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"^[^,/]*$"}
_IMAGE_ID_OR_EMPTY = {"type": "string", "oneOf": [{"format": "uuid"}, {"maxLength": 0}]}
_FLAVOR_REF = {"type": ["string", "integer"], "minLength": 1}
_DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255,
                "pattern": DESCRIPTION_TEXT}
_DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}
_IPV4 = {"type": "string", "format": "ipv4"}
_IPV6 = {"type": "string", "format": "ipv6"}
_HOSTNAME = {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": r"^[a-zA-Z0-9-._]*$"}
_FQDN = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": r"^[a-zA-Z0-9-._]*$"}
METADATA = metadata(["string"])

_PERSONALITY = {
    "type": "array",
    "items": {"type": "object",
              "properties": {"path": {"type": "string"},
                             "contents": {"type": "string", "format": "base64"}},
              "additionalProperties": False},
}

_BDM_V2_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "virtual_name": {"type": "string", "maxLength": 255},
        "volume_id": _UUID, "snapshot_id": _UUID, "image_id": _UUID,
        "volume_size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1,
                        "maximum": 2147483647},
        "device_name": {"type": "string", "minLength": 1, "maxLength": 255,
                        "pattern": r"^[a-zA-Z0-9._\-r/]*$"},
        "delete_on_termination": BOOLEAN,
        "no_device": {},
        "connection_info": {"type": "string", "maxLength": 16777215},
        "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
        "uuid": {"type": "string", "minLength": 1, "maxLength": 255,
                 "pattern": r"^[a-zA-Z0-9._-]*$"},
        "destination_type": {"type": "string", "enum": ["local", "volume"]},
        "guest_format": {"type": "string", "maxLength": 255},
        "device_type": {"type": "string", "maxLength": 255},
        "disk_bus": {"type": "string", "maxLength": 255},
        "boot_index": {"type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$"},
    },
    "additionalProperties": False,
}

_HINTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "group": _UUID,
        "different_host": {"oneOf": [_UUID, {"type": "array", "items": _UUID}]},
        "same_host": {"type": ["string", "array"], "items": _UUID},
        "query": {"type": ["string", "object"]},
        "target_cell": NAME,
        "different_cell": {"type": ["string", "array"], "items": {"type": "string"}},
        "build_near_host_ip": {"type": "string", "oneOf": [{"format": "ipv4"},
                                                            {"format": "ipv6"}]},
        "cidr": {"type": "string", "pattern": "^/[0-9a-f.:]+$"},
    },
    # Out-of-tree filters read hints of their own: unknown ones pass.
    "additionalProperties": True,
}


def _network_item(uuid_format: bool, tag: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "object",
        "properties": {"fixed_ip": {"type": "string", "oneOf": [{"format": "ipv4"},
                                                                 {"format": "ipv6"}]},
                       "port": {"oneOf": [_UUID, {"type": "null"}]},
                       "uuid": _UUID if uuid_format else {"type": "string"}},
        "additionalProperties": False,
    }
    if tag:
        item["properties"]["tag"] = _TAG
    return item


_SERVER_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": NAME,
        "imageRef": _IMAGE_ID_OR_EMPTY,
        "flavorRef": _FLAVOR_REF,
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "networks": {"type": "array", "items": _network_item(False, False)},
        "OS-DCF:diskConfig": _DISK_CONFIG,
        "accessIPv4": _IPV4,
        "accessIPv6": _IPV6,
        "personality": _PERSONALITY,
        "availability_zone": NAME,
        "block_device_mapping": {"type": "array", "items": _BDM_V2_ITEM},
        "block_device_mapping_v2": {"type": "array", "items": _BDM_V2_ITEM},
        "config_drive": BOOLEAN,
        "key_name": NAME,
        "min_count": {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1,
                      "minLength": 1},
        "max_count": {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1,
                      "minLength": 1},
        "return_reservation_id": BOOLEAN,
        "security_groups": {"type": "array", "items": {
            "type": "object", "properties": {"name": NAME}, "additionalProperties": False}},
        "user_data": {"type": "string", "format": "base64", "maxLength": 65535},
    },
    "required": ["name", "flavorRef"],
    "additionalProperties": False,
}


def _networks_choice(tag: bool) -> dict[str, Any]:
    return {"oneOf": [{"type": "array", "items": _network_item(True, tag)},
                      {"type": "string", "enum": ["none", "auto"]}]}


def _set(path: str, value: Any) -> Any:
    def apply(server: dict[str, Any]) -> None:
        target = server["properties"]
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = copy.deepcopy(value)
    return apply


def _drop(name: str) -> Any:
    return lambda server: server["properties"].pop(name)


def _require(name: str) -> Any:
    return lambda server: server["required"].append(name)


# What each microversion changed in the create body.
_CREATE_CHANGES: list[tuple[str, list[Any]]] = [
    ("2.19", [_set("description", _DESCRIPTION)]),
    # 2.32 alone had network and device tags; 2.33 to 2.36 kept only the network's.
    ("2.32", [_set("networks.items.properties.tag", _TAG),
              _set("block_device_mapping_v2.items.properties.tag", _TAG)]),
    ("2.33", [_set("block_device_mapping_v2", {"type": "array", "items": _BDM_V2_ITEM})]),
    ("2.37", [_set("networks", _networks_choice(False)), _require("networks")]),
    ("2.42", [_set("networks", _networks_choice(True)),
              _set("block_device_mapping_v2.items.properties.tag", _TAG)]),
    ("2.52", [_set("tags", {"type": "array", "items": _TAG, "maxItems": 50})]),
    ("2.57", [_drop("personality")]),
    ("2.63", [_set("trusted_image_certificates", {
        "type": ["array", "null"], "minItems": 1, "maxItems": 50, "uniqueItems": True,
        "items": {"type": "string", "minLength": 1}})]),
    ("2.67", [_set("block_device_mapping_v2.items.properties.volume_type",
                   {"type": ["string", "null"], "minLength": 0, "maxLength": 255})]),
    ("2.74", [_set("host", _FQDN), _set("hypervisor_hostname", _FQDN)]),
    ("2.90", [_set("hostname", _HOSTNAME)]),
]


def _wrap(server: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"server": server, "os:scheduler_hints": _HINTS,
                           "OS-SCH-HNT:scheduler_hints": _HINTS},
            "required": ["server"], "additionalProperties": False}


def _versions() -> list[tuple[str, dict[str, Any]]]:
    found = [("2.1", _wrap(copy.deepcopy(_SERVER_V2_1)))]
    server = copy.deepcopy(_SERVER_V2_1)
    for version, changes in _CREATE_CHANGES:
        server = copy.deepcopy(server)
        for change in changes:
            change(server)
        found.append((version, _wrap(server)))
    return found


CREATE = _versions()


def create_schema(version_matches: Any) -> dict[str, Any]:
    """The create schema for a request: `version_matches(v)` is True when the
    request's microversion is v or newer."""
    chosen = CREATE[0][1]
    for version, schema in CREATE:
        if version_matches(version):
            chosen = schema
    return chosen


def _update(extra: dict[str, Any]) -> dict[str, Any]:
    server = {"type": "object",
              "properties": {"name": NAME, "OS-DCF:diskConfig": _DISK_CONFIG,
                             "accessIPv4": _IPV4, "accessIPv6": _IPV6, **extra},
              "additionalProperties": False}
    return {"type": "object", "properties": {"server": server}, "required": ["server"],
            "additionalProperties": False}


UPDATE_V2_1 = _update({})
UPDATE_V2_19 = _update({"description": _DESCRIPTION})
UPDATE_V2_90 = _update({"description": _DESCRIPTION, "hostname": _HOSTNAME})
