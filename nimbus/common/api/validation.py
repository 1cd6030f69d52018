"""JSON Schema validation of request bodies."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import uuid
from typing import Any

import jsonschema
from jsonschema import Draft4Validator, FormatChecker

from nimbus.common.api import errors

_FORMATS = FormatChecker()


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    uuid.UUID(value)
    return True


_FORMATS.checks("uuid", raises=ValueError)(_is_uuid)


def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


_FORMATS.checks("base64", raises=(ValueError, binascii.Error))(_is_base64)


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


_FORMATS.checks("date-time", raises=ValueError)(_is_date_time)


_compiled: dict[int, tuple[dict[str, Any], Draft4Validator]] = {}


def _get(schema: dict[str, Any]) -> Draft4Validator:
    # Schemas are module-level constants: key the compiled validator by
    # identity, and keep the schema alive so the id is not reused.
    hit = _compiled.get(id(schema))
    if hit is None or hit[0] is not schema:
        Draft4Validator.check_schema(schema)
        hit = (schema, Draft4Validator(schema, format_checker=_FORMATS))
        _compiled[id(schema)] = hit
    return hit[1]


def _field(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        match = re.match(r"'(.*)' is a required property", error.message)
        if match:
            path.append(match.group(1))
    return "/".join(path) or "/"


def validate(schema: dict[str, Any], body: Any) -> Any:
    """Return `body` if it matches `schema`, else raise a 400 that says why."""
    validator = _get(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return body
    message = error.message
    if len(message) > 500:
        message = message[:500] + "..."
    raise errors.BadRequest(f"Invalid input for field '{_field(error)}': {message}")
