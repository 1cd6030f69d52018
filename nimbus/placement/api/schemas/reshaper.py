"""Body of POST /reshaper (1.30-)."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.placement.api.schemas import allocations
from nimbus.placement.api.schemas.common import UUID_PATTERN
from nimbus.placement.api.schemas.inventories import PUT_INVENTORIES


def _reshaper(per_consumer: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(per_consumer)
    moved["minProperties"] = 0  # nothing may be allocated against what moves
    return {
        "type": "object",
        "properties": {
            "inventories": {"type": "object", "minProperties": 1, "additionalProperties": False,
                            "patternProperties": {UUID_PATTERN: PUT_INVENTORIES}},
            "allocations": moved,
        },
        "required": ["inventories", "allocations"],
        "additionalProperties": False,
    }


POST_V1_30 = _reshaper(allocations.POST_V1_28)
POST_V1_34 = _reshaper(allocations.POST_V1_34)
POST_V1_38 = _reshaper(allocations.POST_V1_38)
