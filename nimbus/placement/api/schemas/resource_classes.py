"""Bodies of /resource_classes."""

from nimbus.placement.api.schemas.common import CUSTOM_PATTERN

RESOURCE_CLASS_V1_2 = {
    "type": "object",
    "properties": {"name": {"type": "string", "pattern": CUSTOM_PATTERN, "maxLength": 255}},
    "required": ["name"],
    "additionalProperties": False,
}
