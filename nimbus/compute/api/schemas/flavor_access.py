"""Request bodies of the flavor access actions."""

from __future__ import annotations

from typing import Any


def _action(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {
            "type": "object",
            "properties": {"tenant": {"type": "string", "minLength": 1, "maxLength": 255}},
            "required": ["tenant"],
            "additionalProperties": False,
        }},
        "required": [name],
        "additionalProperties": False,
    }


ADD_TENANT_ACCESS = _action("addTenantAccess")
REMOVE_TENANT_ACCESS = _action("removeTenantAccess")
