"""Request bodies of server actions (POST /servers/{server_id}/action) beyond
os-stop and os-start, one schema per action (and microversion) as Nova's."""

from __future__ import annotations

import copy
from typing import Any


def _any_value(action: str) -> dict[str, Any]:
    """An action whose value Nova ignores (null by convention)."""
    return {"type": "object", "properties": {action: {}}, "required": [action],
            "additionalProperties": False}


def _null_value(action: str) -> dict[str, Any]:
    return {"type": "object", "properties": {action: {"type": "null"}}, "required": [action],
            "additionalProperties": False}


def _with(action: str, properties: dict[str, Any], required: list[str],
          nullable: bool = False) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": ["object", "null"] if nullable else "object",
                             "properties": properties, "additionalProperties": False}
    if required:
        inner["required"] = required
    return {"type": "object", "properties": {action: inner}, "required": [action],
            "additionalProperties": False}


REBOOT = _with("reboot", {"type": {"type": "string", "enum": [
    "HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}}, ["type"])
PAUSE = _any_value("pause")
UNPAUSE = _any_value("unpause")
SUSPEND = _any_value("suspend")
RESUME = _any_value("resume")
TRIGGER_CRASH_DUMP = _null_value("trigger_crash_dump")

LOCK = _any_value("lock")
LOCK_V2_73 = _with("lock", {"locked_reason": {"type": "string", "minLength": 1,
                                             "maxLength": 255}}, [], nullable=True)
UNLOCK = _any_value("unlock")
RESET_STATE = _with("os-resetState", {"state": {"type": "string",
                                                "enum": ["active", "error"]}}, ["state"])

RESTORE = _any_value("restore")
FORCE_DELETE = _any_value("forceDelete")

CHANGE_PASSWORD = _with("changePassword", {"adminPass": {"type": "string"}}, ["adminPass"])
# -1 (or null) means all of it; a string of digits is accepted too.
GET_CONSOLE_OUTPUT = _with("os-getConsoleOutput", {"length": {
    "type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$", "minimum": -1}}, [])

_PROTOCOLS = ["vnc", "spice", "serial", "rdp"]
_TYPES = ["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5"]
REMOTE_CONSOLE_V2_6: dict[str, Any] = {
    "type": "object",
    "properties": {"remote_console": {
        "type": "object",
        "properties": {"protocol": {"type": "string", "enum": _PROTOCOLS},
                       "type": {"type": "string", "enum": _TYPES}},
        "required": ["protocol", "type"], "additionalProperties": False}},
    "required": ["remote_console"], "additionalProperties": False,
}
REMOTE_CONSOLE_V2_8 = copy.deepcopy(REMOTE_CONSOLE_V2_6)
_console = REMOTE_CONSOLE_V2_8["properties"]["remote_console"]["properties"]
_console["protocol"]["enum"].append("mks")
_console["type"]["enum"].append("webmks")
REMOTE_CONSOLE_V2_99 = copy.deepcopy(REMOTE_CONSOLE_V2_8)
REMOTE_CONSOLE_V2_99["properties"]["remote_console"]["properties"]["type"]["enum"].append(
    "spice-direct")
