"""Bodies of /resource_providers/{uuid}/inventories."""

import copy
from typing import Any

from nimbus.placement.api.schemas.common import RC_PATTERN

MAX_INT = 2147483647
SQL_SP_FLOAT_MAX = 3.40282e38

_COUNT = {"type": "integer", "maximum": MAX_INT}

INVENTORY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resource_provider_generation": {"type": "integer"},
        "total": _COUNT | {"minimum": 1},
        "reserved": _COUNT | {"minimum": 0},
        "min_unit": _COUNT | {"minimum": 1},
        "max_unit": _COUNT | {"minimum": 1},
        "step_size": _COUNT | {"minimum": 1},
        "allocation_ratio": {"type": "number", "maximum": SQL_SP_FLOAT_MAX},
    },
    "required": ["total", "resource_provider_generation"],
    "additionalProperties": False,
}

POST_INVENTORY = copy.deepcopy(INVENTORY)
POST_INVENTORY["properties"]["resource_class"] = {"type": "string", "pattern": RC_PATTERN}
POST_INVENTORY["required"] = ["total", "resource_class"]

INVENTORY_RECORD = copy.deepcopy(INVENTORY)
INVENTORY_RECORD["required"] = ["total"]

PUT_INVENTORIES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resource_provider_generation": {"type": "integer"},
        "inventories": {"type": "object", "patternProperties": {RC_PATTERN: INVENTORY_RECORD}},
    },
    "required": ["resource_provider_generation", "inventories"],
    "additionalProperties": False,
}
