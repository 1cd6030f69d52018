"""Bodies of PUT /allocations/{consumer_uuid} and POST /allocations, per microversion."""

import copy
from typing import Any

from nimbus.placement.api.schemas.common import (
    CONSUMER_TYPE_PATTERN,
    GROUP_PATTERN_1_33,
    RC_PATTERN,
    UUID_PATTERN,
)

_RESOURCES = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {RC_PATTERN: {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}
_EXTERNAL_ID = {"type": "string", "minLength": 1, "maxLength": 255}

# 1.0-1.11: a list of {resource_provider: {uuid}, resources}.
PUT_V1_0: dict[str, Any] = {
    "type": "object",
    "properties": {"allocations": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "resource_provider": {
                    "type": "object",
                    "properties": {"uuid": {"type": "string", "format": "uuid"}},
                    "required": ["uuid"],
                    "additionalProperties": False,
                },
                "resources": _RESOURCES,
            },
            "required": ["resource_provider", "resources"],
            "additionalProperties": False,
        },
    }},
    "required": ["allocations"],
    "additionalProperties": False,
}
PUT_V1_8 = copy.deepcopy(PUT_V1_0)
PUT_V1_8["properties"].update(project_id=_EXTERNAL_ID, user_id=_EXTERNAL_ID)
PUT_V1_8["required"] += ["project_id", "user_id"]

# 1.12-: a dict keyed by provider uuid.
PUT_V1_12: dict[str, Any] = {
    "type": "object",
    "properties": {
        "allocations": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {UUID_PATTERN: {
                "type": "object",
                "properties": {"generation": {"type": "integer"}, "resources": _RESOURCES},
                "required": ["resources"],
                "additionalProperties": False,
            }},
            "additionalProperties": False,
        },
        "project_id": _EXTERNAL_ID,
        "user_id": _EXTERNAL_ID,
    },
    "required": ["allocations", "project_id", "user_id"],
    "additionalProperties": False,
}
_DELETABLE = copy.deepcopy(PUT_V1_12)
_DELETABLE["properties"]["allocations"]["minProperties"] = 0

PUT_V1_28 = copy.deepcopy(_DELETABLE)
PUT_V1_28["properties"]["consumer_generation"] = {"type": ["integer", "null"]}
PUT_V1_28["required"].append("consumer_generation")

_MAPPINGS = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {GROUP_PATTERN_1_33: {
        "type": "array", "minItems": 1, "items": {"type": "string", "format": "uuid"}}},
}
PUT_V1_34 = copy.deepcopy(PUT_V1_28)
PUT_V1_34["properties"]["mappings"] = _MAPPINGS

PUT_V1_38 = copy.deepcopy(PUT_V1_34)
PUT_V1_38["properties"]["consumer_type"] = {
    "type": "string", "pattern": CONSUMER_TYPE_PATTERN, "minLength": 1, "maxLength": 255}
PUT_V1_38["required"].append("consumer_type")


def _post(per_consumer: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "minProperties": 1, "additionalProperties": False,
            "patternProperties": {UUID_PATTERN: per_consumer}}


POST_V1_13 = _post(_DELETABLE)
POST_V1_28 = _post(PUT_V1_28)
POST_V1_34 = _post(PUT_V1_34)
POST_V1_38 = _post(PUT_V1_38)
