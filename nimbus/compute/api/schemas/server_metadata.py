"""Request bodies of server metadata and server tags, as Nova's."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import metadata

MAX_TAGS = 50
TAG: dict[str, Any] = {"type": "string", "pattern": "^[^,/]*$", "minLength": 1,
                       "maxLength": 60}

_METADATA = metadata(["string"])
_ONE_ITEM = copy.deepcopy(_METADATA)
_ONE_ITEM.update(minProperties=1, maxProperties=1)

METADATA = {"type": "object", "properties": {"metadata": _METADATA}, "required": ["metadata"],
            "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": _ONE_ITEM}, "required": ["meta"],
             "additionalProperties": False}
TAGS = {"type": "object",
        "properties": {"tags": {"type": "array", "items": TAG, "maxItems": MAX_TAGS}},
        "required": ["tags"], "additionalProperties": False}
