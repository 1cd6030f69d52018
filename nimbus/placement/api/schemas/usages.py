"""Queries of /usages."""

import copy
from typing import Any

from nimbus.placement.api.schemas.common import CONSUMER_TYPE_GET_PATTERN

USAGES_V1_9: dict[str, Any] = {
    "type": "object",
    "properties": {
        "project_id": {"type": "string", "minLength": 1, "maxLength": 255},
        "user_id": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "required": ["project_id"],
    "additionalProperties": False,
}
USAGES_V1_38 = copy.deepcopy(USAGES_V1_9)
USAGES_V1_38["properties"]["consumer_type"] = {
    "type": "string", "pattern": CONSUMER_TYPE_GET_PATTERN, "minLength": 1, "maxLength": 255}
