"""Request bodies of the moves per microversion: resize, confirmResize,
revertResize, migrate, os-migrateLive, evacuate, and force_complete."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import BOOLEAN

_FLAVOR_REF = {"type": ["string", "integer"], "minLength": 1}
_DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}
_FQDN = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": r"^[a-zA-Z0-9-._]*$"}
_HOST_OR_NULL = {**_FQDN, "type": ["string", "null"]}


def _action(name: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {name: inner}, "required": [name],
            "additionalProperties": False}


def _object(properties: dict[str, Any], required: list[str] | None = None,
            nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["object", "null"] if nullable else "object",
                              "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


RESIZE = _action("resize", _object({"flavorRef": _FLAVOR_REF,
                                    "OS-DCF:diskConfig": _DISK_CONFIG}, ["flavorRef"]))
# Nova accepts anything as the value of these two (null in practice).
CONFIRM_RESIZE = _action("confirmResize", {})
REVERT_RESIZE = _action("revertResize", {})

# Before 2.56 Nova validates nothing of migrate's value.
MIGRATE_V2_1 = _action("migrate", {})
MIGRATE_V2_56 = _action("migrate", _object({"host": _HOST_OR_NULL}, nullable=True))

_LIVE_V2_1 = _object({"block_migration": BOOLEAN, "disk_over_commit": BOOLEAN,
                      "host": _HOST_OR_NULL},
                     ["block_migration", "disk_over_commit", "host"])
MIGRATE_LIVE_V2_1 = _action("os-migrateLive", _LIVE_V2_1)

# 2.25: block_migration may be "auto"; disk_over_commit is gone.
_LIVE_V2_25 = copy.deepcopy(_LIVE_V2_1)
del _LIVE_V2_25["properties"]["disk_over_commit"]
_LIVE_V2_25["properties"]["block_migration"] = {**BOOLEAN,
                                                "enum": [*BOOLEAN["enum"], "auto"]}
_LIVE_V2_25["required"] = ["block_migration", "host"]
MIGRATE_LIVE_V2_25 = _action("os-migrateLive", _LIVE_V2_25)

# 2.30 adds force; 2.68 takes it away again.
_LIVE_V2_30 = copy.deepcopy(_LIVE_V2_25)
_LIVE_V2_30["properties"]["force"] = BOOLEAN
MIGRATE_LIVE_V2_30 = _action("os-migrateLive", _LIVE_V2_30)
MIGRATE_LIVE_V2_68 = MIGRATE_LIVE_V2_25

_EVACUATE_V2_1 = _object({"host": _FQDN, "onSharedStorage": BOOLEAN,
                          "adminPass": {"type": "string"}}, ["onSharedStorage"])
EVACUATE_V2_1 = _action("evacuate", _EVACUATE_V2_1)

# 2.14: onSharedStorage is gone (and adminPass leaves the answer).
_EVACUATE_V2_14 = copy.deepcopy(_EVACUATE_V2_1)
del _EVACUATE_V2_14["properties"]["onSharedStorage"]
del _EVACUATE_V2_14["required"]
EVACUATE_V2_14 = _action("evacuate", _EVACUATE_V2_14)

# 2.29 adds force; 2.68 takes it away again.
_EVACUATE_V2_29 = copy.deepcopy(_EVACUATE_V2_14)
_EVACUATE_V2_29["properties"]["force"] = BOOLEAN
EVACUATE_V2_29 = _action("evacuate", _EVACUATE_V2_29)
EVACUATE_V2_68 = EVACUATE_V2_14

FORCE_COMPLETE = _action("force_complete", {"type": "null"})


def migrate_live(since: Any) -> dict[str, Any]:
    """os-migrateLive's schema at the request's microversion (`since(v)`: at least v)."""
    if since("2.68"):
        return MIGRATE_LIVE_V2_68
    if since("2.30"):
        return MIGRATE_LIVE_V2_30
    if since("2.25"):
        return MIGRATE_LIVE_V2_25
    return MIGRATE_LIVE_V2_1


def evacuate(since: Any) -> dict[str, Any]:
    if since("2.68"):
        return EVACUATE_V2_68
    if since("2.29"):
        return EVACUATE_V2_29
    if since("2.14"):
        return EVACUATE_V2_14
    return EVACUATE_V2_1
