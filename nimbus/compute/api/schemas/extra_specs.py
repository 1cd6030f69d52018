"""Request bodies of /flavors/{flavor_id}/os-extra_specs."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import metadata

# Values may be numbers; they are kept as strings.
_SPECS = metadata(["string", "number"])

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"extra_specs": _SPECS},
    "required": ["extra_specs"],
    "additionalProperties": False,
}

# PUT .../os-extra_specs/{key}: {key: value}, that one key only.
UPDATE: dict[str, Any] = copy.deepcopy(_SPECS)
UPDATE.update({"minProperties": 1, "maxProperties": 1})
