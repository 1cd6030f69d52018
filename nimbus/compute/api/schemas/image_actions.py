"""Request bodies of the server actions that involve images, per microversion:
rebuild, createImage, createBackup, shelve, shelveOffload, unshelve, rescue
and unrescue."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import BOOLEAN, NAME, whole_number
from nimbus.compute.api.schemas.servers import METADATA

_UUID = {"type": "string", "format": "uuid"}
_DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}
_PERSONALITY = {
    "type": "array",
    "items": {"type": "object",
              "properties": {"path": {"type": "string"},
                             "contents": {"type": "string", "format": "base64"}},
              "additionalProperties": False},
}
_DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255,
                "pattern": r"^[^\x00-\x08\x0e-\x1f\x7f-\x9f]*$"}
# 2.90: a host label; 2.94: a fully qualified name (underscores allowed).
_HOSTNAME = {"type": "string", "minLength": 2, "maxLength": 63,
             "pattern": r"^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$"}
_FQDN = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-._]*$"}


def _action(name: str, body: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"type": "object", "properties": {name: body},
            "required": [name] if required else [], "additionalProperties": False}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [],
            "additionalProperties": False}


# --- rebuild ---------------------------------------------------------------------

_REBUILD_V2_1 = _object({
    "name": NAME, "imageRef": _UUID, "adminPass": {"type": "string"},
    "metadata": METADATA, "preserve_ephemeral": BOOLEAN, "OS-DCF:diskConfig": _DISK_CONFIG,
    "accessIPv4": {"type": "string", "format": "ipv4"},
    "accessIPv6": {"type": "string", "format": "ipv6"}, "personality": _PERSONALITY,
}, ["imageRef"])

# What each microversion changed in the rebuild body.
_REBUILD_CHANGES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("2.19", {"description": _DESCRIPTION}, ()),
    ("2.54", {"key_name": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 255},
                                     {"type": "null"}]}}, ()),
    # 2.57: personality goes, user_data comes (null resets it).
    ("2.57", {"user_data": {"type": ["string", "null"], "format": "base64",
                            "maxLength": 65535}}, ("personality",)),
    ("2.63", {"trusted_image_certificates": {
        "type": ["array", "null"], "minItems": 1, "maxItems": 50, "uniqueItems": True,
        "items": {"type": "string", "minLength": 1}}}, ()),
    ("2.90", {"hostname": _HOSTNAME}, ()),
    ("2.94", {"hostname": _FQDN}, ()),
]


def _rebuild_versions() -> list[tuple[str, dict[str, Any]]]:
    body = copy.deepcopy(_REBUILD_V2_1)
    found = [("2.1", _action("rebuild", copy.deepcopy(body)))]
    for version, added, dropped in _REBUILD_CHANGES:
        body = copy.deepcopy(body)
        body["properties"].update(copy.deepcopy(added))
        for name in dropped:
            body["properties"].pop(name)
        found.append((version, _action("rebuild", body)))
    return found


REBUILD = _rebuild_versions()


def rebuild_schema(version_matches: Any) -> dict[str, Any]:
    """The rebuild schema of a request: `version_matches(v)` is True when its
    microversion is v or newer."""
    chosen = REBUILD[0][1]
    for version, schema in REBUILD:
        if version_matches(version):
            chosen = schema
    return chosen


# --- snapshots -------------------------------------------------------------------

CREATE_IMAGE = _action("createImage", _object({"name": NAME, "metadata": METADATA},
                                              ["name"]))

CREATE_BACKUP = _action("createBackup", _object({
    "name": NAME, "backup_type": {"type": "string"}, "rotation": whole_number(0),
    "metadata": METADATA}, ["name", "backup_type", "rotation"]))

# --- shelve ----------------------------------------------------------------------

SHELVE = _action("shelve", {})
SHELVE_OFFLOAD = _action("shelveOffload", {})
UNSHELVE_V2_1 = _action("unshelve", {})
# 2.77: null, or an availability zone (an empty object is refused).
UNSHELVE_V2_77 = _action("unshelve", {
    "type": ["object", "null"], "properties": {"availability_zone": NAME},
    "required": ["availability_zone"], "additionalProperties": False})
# 2.91: a host, and an availability zone that may be null (unpin).
UNSHELVE_V2_91 = _action("unshelve", {
    "type": ["object", "null"],
    "properties": {"availability_zone": {"type": ["string", "null"]},
                   "host": {"type": "string"}},
    "additionalProperties": False})

# --- rescue ----------------------------------------------------------------------

RESCUE = _action("rescue", {
    "type": ["object", "null"],
    "properties": {"adminPass": {"type": "string"}, "rescue_image_ref": _UUID},
    "additionalProperties": False})
UNRESCUE = _action("unrescue", {})
