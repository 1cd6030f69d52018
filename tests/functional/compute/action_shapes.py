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
