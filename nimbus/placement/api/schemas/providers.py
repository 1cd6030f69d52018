"""Bodies and queries of /resource_providers."""

import copy
from typing import Any

POST_PROVIDER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "uuid": {"type": "string", "format": "uuid"},
    },
    "required": ["name"],
    "additionalProperties": False,
}
PUT_PROVIDER = copy.deepcopy(POST_PROVIDER)
PUT_PROVIDER["properties"].pop("uuid")

POST_PROVIDER_V1_14 = copy.deepcopy(POST_PROVIDER)
POST_PROVIDER_V1_14["properties"]["parent_provider_uuid"] = {
    "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}
PUT_PROVIDER_V1_14 = copy.deepcopy(POST_PROVIDER_V1_14)
PUT_PROVIDER_V1_14["properties"].pop("uuid")

LIST_V1_0: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"}},
    "additionalProperties": False,
}
LIST_V1_3 = copy.deepcopy(LIST_V1_0)
LIST_V1_3["properties"]["member_of"] = {"type": "string"}
LIST_V1_4 = copy.deepcopy(LIST_V1_3)
LIST_V1_4["properties"]["resources"] = {"type": "string"}
LIST_V1_14 = copy.deepcopy(LIST_V1_4)
LIST_V1_14["properties"]["in_tree"] = {"type": "string", "format": "uuid"}
LIST_V1_18 = copy.deepcopy(LIST_V1_14)
LIST_V1_18["properties"]["required"] = {"type": "string"}

PUT_AGGREGATES_V1_1: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
    "uniqueItems": True,
}
PUT_AGGREGATES_V1_19: dict[str, Any] = {
    "type": "object",
    "properties": {
        "aggregates": PUT_AGGREGATES_V1_1,
        "resource_provider_generation": {"type": "integer"},
    },
    "required": ["aggregates", "resource_provider_generation"],
    "additionalProperties": False,
}
