"""Response shapes of the migrations APIs per microversion, written from
Tempest's compute response schemas (additionalProperties false): GET
/os-migrations (2.1, 2.23, 2.59, 2.80) and /servers/{id}/migrations (2.23,
2.59, 2.80)."""

from __future__ import annotations

import copy
from typing import Any

from tests.functional.compute.shapes import _LINKS, _object, _pick

_DATE = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"}
_DATE_OR_NULL = {"type": ["string", "null"],
                 "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"}
_STR_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}
_UUID = {"type": "string", "format": "uuid"}

_LISTED_V2_1 = _object({
    "id": {"type": "integer"}, "status": _STR_OR_NULL, "instance_uuid": _STR_OR_NULL,
    "source_node": _STR_OR_NULL, "source_compute": _STR_OR_NULL, "dest_node": _STR_OR_NULL,
    "dest_compute": _STR_OR_NULL, "dest_host": _STR_OR_NULL,
    "old_instance_type_id": _INT_OR_NULL, "new_instance_type_id": _INT_OR_NULL,
    "created_at": _DATE, "updated_at": _DATE_OR_NULL,
}, ["id", "status", "instance_uuid", "source_node", "source_compute", "dest_node",
    "dest_compute", "dest_host", "old_instance_type_id", "new_instance_type_id",
    "created_at", "updated_at"])

_LISTED_V2_23 = copy.deepcopy(_LISTED_V2_1)
_LISTED_V2_23["properties"].update(migration_type=_STR_OR_NULL, links=_LINKS)
_LISTED_V2_23["required"].append("migration_type")

_LISTED_V2_59 = copy.deepcopy(_LISTED_V2_23)
_LISTED_V2_59["properties"]["uuid"] = _UUID
_LISTED_V2_59["required"].append("uuid")

_LISTED_V2_80 = copy.deepcopy(_LISTED_V2_59)
_LISTED_V2_80["properties"].update(user_id={"type": "string"}, project_id={"type": "string"})
_LISTED_V2_80["required"] += ["user_id", "project_id"]

LISTED_BY_VERSION = [("2.80", _LISTED_V2_80), ("2.59", _LISTED_V2_59),
                     ("2.23", _LISTED_V2_23), ("2.1", _LISTED_V2_1)]

_OF_SERVER_V2_23 = _object({
    "id": {"type": "integer"}, "status": _STR_OR_NULL, "server_uuid": _STR_OR_NULL,
    "source_node": _STR_OR_NULL, "source_compute": _STR_OR_NULL, "dest_node": _STR_OR_NULL,
    "dest_compute": _STR_OR_NULL, "dest_host": _STR_OR_NULL,
    **{f"{kind}_{what}_bytes": _INT_OR_NULL for kind in ("memory", "disk")
       for what in ("total", "processed", "remaining")},
    "created_at": _DATE, "updated_at": _DATE_OR_NULL,
}, ["id", "status", "server_uuid", "source_node", "source_compute", "dest_node",
    "dest_compute", "dest_host", "disk_processed_bytes", "disk_remaining_bytes",
    "disk_total_bytes", "memory_processed_bytes", "memory_remaining_bytes",
    "memory_total_bytes", "created_at", "updated_at"])

_OF_SERVER_V2_59 = copy.deepcopy(_OF_SERVER_V2_23)
_OF_SERVER_V2_59["properties"]["uuid"] = _UUID
_OF_SERVER_V2_59["required"].append("uuid")

_OF_SERVER_V2_80 = copy.deepcopy(_OF_SERVER_V2_59)
_OF_SERVER_V2_80["properties"].update(user_id={"type": "string"},
                                      project_id={"type": "string"})
_OF_SERVER_V2_80["required"] += ["user_id", "project_id"]

OF_SERVER_BY_VERSION = [("2.80", _OF_SERVER_V2_80), ("2.59", _OF_SERVER_V2_59),
                        ("2.23", _OF_SERVER_V2_23)]


def migration_list(version: str) -> dict[str, Any]:
    """GET /os-migrations: links to more only from 2.59 (Tempest's schemas
    leave them out; Nova sends them only for a full page)."""
    properties: dict[str, Any] = {"migrations": {
        "type": "array", "items": _pick(LISTED_BY_VERSION, version)}}
    if tuple(int(p) for p in version.split(".")) >= (2, 59):
        properties["migrations_links"] = _LINKS
    return _object(properties, ["migrations"])


def server_migration(version: str) -> dict[str, Any]:
    """One item of GET /servers/{id}/migrations, or the body of a GET of one's 'migration'."""
    return _pick(OF_SERVER_BY_VERSION, version)


def server_migration_list(version: str) -> dict[str, Any]:
    return _object({"migrations": {"type": "array", "items": server_migration(version)}},
                   ["migrations"])
