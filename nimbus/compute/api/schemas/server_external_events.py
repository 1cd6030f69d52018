"""The body of POST /os-server-external-events per microversion, as Nova's."""

from __future__ import annotations

import copy
from typing import Any

STATUSES = ["failed", "completed", "in-progress"]

EVENTS_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {"events": {
        "type": "array", "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": [
                    "network-changed", "network-vif-plugged", "network-vif-unplugged",
                    "network-vif-deleted"]},
                "server_uuid": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": STATUSES},
                "tag": {"type": "string", "maxLength": 255},
            },
            "required": ["name", "server_uuid"], "additionalProperties": False}}},
    "required": ["events"], "additionalProperties": False,
}


def _adding(previous: dict[str, Any], name: str) -> dict[str, Any]:
    schema = copy.deepcopy(previous)
    schema["properties"]["events"]["items"]["properties"]["name"]["enum"].append(name)
    return schema


EVENTS_V2_51 = _adding(EVENTS_V2_1, "volume-extended")
EVENTS_V2_76 = _adding(EVENTS_V2_51, "power-update")
EVENTS_V2_82 = _adding(EVENTS_V2_76, "accelerator-request-bound")
EVENTS_V2_93 = _adding(EVENTS_V2_82, "volume-reimaged")
