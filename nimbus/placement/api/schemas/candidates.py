"""Query of GET /allocation_candidates, microversion by microversion."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.placement.api.schemas.common import GROUP_PATTERN, GROUP_PATTERN_1_33

_STRING = {"type": "string"}

GET_V1_10: dict[str, Any] = {
    "type": "object",
    "properties": {"resources": _STRING},
    "required": ["resources"],
    "additionalProperties": False,
}

GET_V1_16 = copy.deepcopy(GET_V1_10)
GET_V1_16["properties"]["limit"] = {
    "type": ["integer", "string"], "pattern": "^[1-9][0-9]*$", "minimum": 1, "minLength": 1}

GET_V1_17 = copy.deepcopy(GET_V1_16)
GET_V1_17["properties"]["required"] = _STRING

GET_V1_21 = copy.deepcopy(GET_V1_17)
GET_V1_21["properties"]["member_of"] = _STRING


def _grouped(names: tuple[str, ...], suffix: str) -> dict[str, Any]:
    return {f"^{name}({suffix})?$": _STRING for name in names}


# From 1.25 resources, required and member_of take a group suffix.
GET_V1_25 = copy.deepcopy(GET_V1_21)
for _name in ("resources", "required", "member_of"):
    del GET_V1_25["properties"][_name]
del GET_V1_25["required"]
GET_V1_25["patternProperties"] = _grouped(("resources", "required", "member_of"), GROUP_PATTERN)
GET_V1_25["properties"]["group_policy"] = {"type": "string", "enum": ["none", "isolate"]}

GET_V1_31 = copy.deepcopy(GET_V1_25)
GET_V1_31["patternProperties"] = _grouped(
    ("resources", "required", "member_of", "in_tree"), GROUP_PATTERN)

GET_V1_33 = copy.deepcopy(GET_V1_31)
GET_V1_33["patternProperties"] = _grouped(
    ("resources", "required", "member_of", "in_tree"), GROUP_PATTERN_1_33)

GET_V1_35 = copy.deepcopy(GET_V1_33)
GET_V1_35["properties"]["root_required"] = _STRING

GET_V1_36 = copy.deepcopy(GET_V1_35)
GET_V1_36["properties"]["same_subtree"] = _STRING

BY_VERSION = [("1.36", GET_V1_36), ("1.35", GET_V1_35), ("1.33", GET_V1_33),
              ("1.31", GET_V1_31), ("1.25", GET_V1_25), ("1.21", GET_V1_21),
              ("1.17", GET_V1_17), ("1.16", GET_V1_16), ("1.10", GET_V1_10)]
