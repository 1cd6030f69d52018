"""Request bodies and query strings of /os-keypairs, per microversion."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.compute.api.schemas.common import NAME

_NAME: dict[str, Any] = {"allOf": [NAME, {"type": "string", "pattern": r"^[_\- a-zA-Z0-9]+$"}]}
# 2.92 allows @ and . as well.
_NAME_V2_92: dict[str, Any] = {
    "allOf": [NAME, {"type": "string", "pattern": r"^[_\-@. a-zA-Z0-9]+$"}]}


def _create(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"keypair": {
            "type": "object", "properties": properties, "required": required,
            "additionalProperties": False,
        }},
        "required": ["keypair"],
        "additionalProperties": False,
    }


CREATE_V2_1 = _create({"name": _NAME, "public_key": {"type": "string"}}, ["name"])
CREATE_V2_2 = _create({"name": _NAME, "type": {"type": "string", "enum": ["ssh", "x509"]},
                       "public_key": {"type": "string"}}, ["name"])
CREATE_V2_10 = copy.deepcopy(CREATE_V2_2)
CREATE_V2_10["properties"]["keypair"]["properties"]["user_id"] = {"type": "string"}
CREATE_V2_92 = copy.deepcopy(CREATE_V2_10)
CREATE_V2_92["properties"]["keypair"]["properties"]["name"] = _NAME_V2_92
CREATE_V2_92["properties"]["keypair"]["required"] = ["name", "public_key"]

QUERY_V2_10 = ("user_id",)
LIST_QUERY_V2_35 = ("user_id", "limit", "marker")
