"""Building blocks of the compute schemas, as Nova's parameter types define them."""

from __future__ import annotations

from typing import Any

MAX_INT = 2147483647  # the largest value of an SQL INTEGER column

# Printable text: no control characters but for whitespace in descriptions.
_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]"
_PRINTABLE_WS = r"[^\x00-\x08\x0e-\x1f\x7f-\x9f]"

# A name: printable, at least one character, no leading or trailing whitespace.
NAME: dict[str, Any] = {
    "type": "string", "minLength": 1, "maxLength": 255,
    "pattern": rf"^(?!\s){_PRINTABLE}*(?<!\s)$",
}

DESCRIPTION_TEXT = rf"^{_PRINTABLE_WS}*$"

BOOLEAN: dict[str, Any] = {
    "type": ["boolean", "string"],
    "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
             False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"],
}

TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")


def to_bool(value: bool | str) -> bool:
    return value if isinstance(value, bool) else value.strip().lower() in TRUE_STRINGS


def whole_number(minimum: int) -> dict[str, Any]:
    """An integer, or a string of digits, from `minimum` to MAX_INT."""
    return {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": minimum,
            "maximum": MAX_INT}


# Extra specs and similar key/value maps.
METADATA_KEY = "^[a-zA-Z0-9-_:. ]{1,255}$"


def metadata(value_types: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "patternProperties": {METADATA_KEY: {"type": value_types, "maxLength": 255}},
        "additionalProperties": False,
    }
