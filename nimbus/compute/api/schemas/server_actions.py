"""Request bodies of server actions (POST /servers/{server_id}/action) beyond
os-stop and os-start, one schema per action (and microversion) as Nova's."""

from __future__ import annotations

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
