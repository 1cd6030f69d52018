"""Request bodies and query strings of /flavors, per microversion."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import (
    BOOLEAN,
    DESCRIPTION_TEXT,
    NAME,
    whole_number,
)
from nimbus.compute.db.flavors import SORT_KEYS

_FLAVOR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": NAME,
        # A string or a number; without surrounding spaces. None: generate one.
        "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
               "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
        "ram": whole_number(1),
        "vcpus": whole_number(1),
        "disk": whole_number(0),
        "OS-FLV-EXT-DATA:ephemeral": whole_number(0),
        "swap": whole_number(0),
        "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        "os-flavor-access:is_public": BOOLEAN,
    },
    "required": ["name", "ram", "vcpus", "disk"],
    "additionalProperties": False,
}

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {"flavor": _FLAVOR},
    "required": ["flavor"],
    "additionalProperties": False,
}

# The description column is TEXT (64 KiB).
DESCRIPTION: dict[str, Any] = {"type": ["string", "null"], "minLength": 0, "maxLength": 65535,
                               "pattern": DESCRIPTION_TEXT}

CREATE_V2_55 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_55["properties"]["flavor"]["properties"]["description"] = DESCRIPTION

CREATE_V2_102 = copy.deepcopy(CREATE_V2_55)
del CREATE_V2_102["properties"]["flavor"]["properties"]["rxtx_factor"]

UPDATE_V2_55: dict[str, Any] = {
    "type": "object",
    "properties": {"flavor": {
        "type": "object",
        "properties": {"description": DESCRIPTION},
        "required": ["description"],
        "additionalProperties": False,
    }},
    "required": ["flavor"],
    "additionalProperties": False,
}

LIST_QUERY = ("limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir")
LIST_QUERY_V2_102 = LIST_QUERY + ("name",)
SORT_KEYS_V2_102 = tuple(k for k in SORT_KEYS if k != "rxtx_factor")
SORT_DIRS = ("asc", "desc")
