"""Response shapes of flavors, key pairs and images per microversion, written from
Tempest's compute response schemas (which validate with additionalProperties
false), so that a field too many or too few fails here as it would there."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema

_LINKS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object",
              "properties": {"href": {"type": "string", "format": "uri"},
                             "rel": {"type": "string"}},
              "required": ["href", "rel"], "additionalProperties": False},
}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


# --- flavors -------------------------------------------------------------

_FLAVOR_V2_1 = _object({
    "name": {"type": "string"}, "links": _LINKS, "ram": {"type": "integer"},
    "vcpus": {"type": "integer"}, "swap": {"type": ["integer", "string"]},
    "disk": {"type": "integer"}, "id": {"type": "string"},
    "OS-FLV-DISABLED:disabled": {"type": "boolean"},
    "os-flavor-access:is_public": {"type": "boolean"}, "rxtx_factor": {"type": "number"},
    "OS-FLV-EXT-DATA:ephemeral": {"type": "integer"},
}, ["name", "links", "ram", "vcpus", "swap", "disk", "id"])

_FLAVOR_V2_55 = copy.deepcopy(_FLAVOR_V2_1)
_FLAVOR_V2_55["properties"]["description"] = {"type": ["string", "null"],
                                              "minLength": 0, "maxLength": 65535}
_FLAVOR_V2_55["required"].append("description")

_FLAVOR_V2_61 = copy.deepcopy(_FLAVOR_V2_55)
_FLAVOR_V2_61["properties"]["extra_specs"] = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string"}}}

_FLAVOR_V2_75 = copy.deepcopy(_FLAVOR_V2_61)
_FLAVOR_V2_75["properties"]["swap"] = {"type": "integer"}

_FLAVOR_V2_102 = copy.deepcopy(_FLAVOR_V2_75)
for _gone in ("OS-FLV-DISABLED:disabled", "rxtx_factor"):
    del _FLAVOR_V2_102["properties"][_gone]

_BRIEF_V2_1 = _object({"name": {"type": "string"}, "links": _LINKS, "id": {"type": "string"}},
                      ["name", "links", "id"])
_BRIEF_V2_55 = copy.deepcopy(_BRIEF_V2_1)
_BRIEF_V2_55["properties"]["description"] = {"type": ["string", "null"]}
_BRIEF_V2_55["required"].append("description")

FLAVOR_BY_VERSION = [("2.102", _FLAVOR_V2_102), ("2.75", _FLAVOR_V2_75),
                     ("2.61", _FLAVOR_V2_61), ("2.55", _FLAVOR_V2_55), ("2.1", _FLAVOR_V2_1)]
BRIEF_BY_VERSION = [("2.55", _BRIEF_V2_55), ("2.1", _BRIEF_V2_1)]


def _pick(table: list[tuple[str, dict[str, Any]]], version: str) -> dict[str, Any]:
    wanted = tuple(int(p) for p in version.split("."))
    for since, schema in table:
        if wanted >= tuple(int(p) for p in since.split(".")):
            return schema
    raise ValueError(version)


def flavor(version: str) -> dict[str, Any]:
    return _object({"flavor": _pick(FLAVOR_BY_VERSION, version)}, ["flavor"])


def flavor_list(version: str, detail: bool) -> dict[str, Any]:
    item = _pick(FLAVOR_BY_VERSION if detail else BRIEF_BY_VERSION, version)
    return _object({"flavors": {"type": "array", "items": item}, "flavors_links": _LINKS},
                   ["flavors"])


EXTRA_SPECS = _object({"extra_specs": {
    "type": "object", "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string"}},
    "additionalProperties": False}}, ["extra_specs"])

FLAVOR_ACCESS = _object({"flavor_access": {"type": "array", "items": _object(
    {"flavor_id": {"type": "string"}, "tenant_id": {"type": "string"}},
    ["flavor_id", "tenant_id"])}}, ["flavor_access"])

# --- key pairs -----------------------------------------------------------

_KEYPAIR_CREATE_V2_1 = _object({
    "fingerprint": {"type": "string"}, "name": {"type": "string"},
    "public_key": {"type": "string"}, "user_id": {"type": "string"},
    "private_key": {"type": "string"},
}, ["fingerprint", "name", "public_key", "user_id"])
_KEYPAIR_CREATE_V2_2 = copy.deepcopy(_KEYPAIR_CREATE_V2_1)
_KEYPAIR_CREATE_V2_2["properties"]["type"] = {"type": "string", "enum": ["ssh", "x509"]}
_KEYPAIR_CREATE_V2_2["required"].append("type")

_KEYPAIR_SHOW_V2_1 = _object({
    "public_key": {"type": "string"}, "name": {"type": "string"},
    "fingerprint": {"type": "string"}, "user_id": {"type": "string"},
    "deleted": {"type": "boolean"}, "created_at": {"type": "string"},
    "updated_at": {"type": ["string", "null"]}, "deleted_at": {"type": ["string", "null"]},
    "id": {"type": "integer"},
}, ["public_key", "name", "fingerprint", "user_id", "deleted", "created_at", "updated_at",
    "deleted_at", "id"])
_KEYPAIR_SHOW_V2_2 = copy.deepcopy(_KEYPAIR_SHOW_V2_1)
_KEYPAIR_SHOW_V2_2["properties"]["type"] = {"type": "string", "enum": ["ssh", "x509"]}
_KEYPAIR_SHOW_V2_2["required"].append("type")

_KEYPAIR_ITEM_V2_1 = _object({"public_key": {"type": "string"}, "name": {"type": "string"},
                              "fingerprint": {"type": "string"}},
                             ["public_key", "name", "fingerprint"])
_KEYPAIR_ITEM_V2_2 = copy.deepcopy(_KEYPAIR_ITEM_V2_1)
_KEYPAIR_ITEM_V2_2["properties"]["type"] = {"type": "string", "enum": ["ssh", "x509"]}
_KEYPAIR_ITEM_V2_2["required"].append("type")


def keypair_create(version: str) -> dict[str, Any]:
    item = _pick([("2.2", _KEYPAIR_CREATE_V2_2), ("2.1", _KEYPAIR_CREATE_V2_1)], version)
    return _object({"keypair": item}, ["keypair"])


def keypair_show(version: str) -> dict[str, Any]:
    item = _pick([("2.2", _KEYPAIR_SHOW_V2_2), ("2.1", _KEYPAIR_SHOW_V2_1)], version)
    return _object({"keypair": item}, ["keypair"])


def keypair_list(version: str) -> dict[str, Any]:
    item = _pick([("2.2", _KEYPAIR_ITEM_V2_2), ("2.1", _KEYPAIR_ITEM_V2_1)], version)
    properties: dict[str, Any] = {"keypairs": {"type": "array", "items": _object(
        {"keypair": item}, ["keypair"])}}
    if tuple(int(p) for p in version.split(".")) >= (2, 35):
        properties["keypairs_links"] = _LINKS
    return _object(properties, ["keypairs"])


def check(schema: dict[str, Any], body: Any) -> None:
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)


# --- the image proxy (until 2.35) ----------------------------------------------

_IMAGE_LINKS = copy.deepcopy(_LINKS)
_IMAGE_LINKS["items"]["properties"]["type"] = {"type": "string"}
_DATE_TIME = {"type": "string", "format": "date-time"}

IMAGE_DETAIL = _object({
    "id": {"type": "string"}, "name": {"type": ["string", "null"]},
    "status": {"enum": ["ACTIVE", "SAVING", "DELETED", "ERROR", "UNKNOWN"]},
    "updated": _DATE_TIME, "created": _DATE_TIME, "links": _IMAGE_LINKS,
    "minDisk": {"type": "integer"}, "minRam": {"type": "integer"},
    "progress": {"type": "integer"}, "metadata": {"type": "object"},
    "server": _object({"id": {"type": "string"}, "links": _LINKS}, ["id", "links"]),
    "OS-EXT-IMG-SIZE:size": {"type": ["integer", "null"]},
    "OS-DCF:diskConfig": {"type": "string"},
}, ["id", "status", "updated", "links", "name", "created", "minDisk", "minRam", "progress",
    "metadata"])
IMAGE_BRIEF = _object({"id": {"type": "string"}, "links": _IMAGE_LINKS,
                       "name": {"type": ["string", "null"]}}, ["id", "links", "name"])
IMAGE = _object({"image": IMAGE_DETAIL}, ["image"])


def image_list(detail: bool) -> dict[str, Any]:
    return _object({"images": {"type": "array",
                               "items": IMAGE_DETAIL if detail else IMAGE_BRIEF},
                    "images_links": _LINKS}, ["images"])


IMAGE_METADATA = _object({"metadata": {"type": "object"}}, ["metadata"])
IMAGE_META_ITEM = _object({"meta": {"type": "object"}}, ["meta"])
