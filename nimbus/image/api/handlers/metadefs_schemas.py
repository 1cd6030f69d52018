"""GET /v2/schemas/metadefs/*: the JSON schemas of metadata definitions, as
Glance publishes them. The item schemas also validate request bodies (see
nimbus.image.api.handlers.metadefs)."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response

_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]


def _str(description: str | None = None, **more: Any) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string"}
    if description:
        prop["description"] = description
    prop.update(more)
    return prop


def _time(description: str) -> dict[str, Any]:
    return _str(description, readOnly=True, format="date-time")


_READ_ONLY_STR = {"readOnly": True, "type": "string"}

# A property definition: a small JSON schema of one metadata key.
_PROPERTY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 80},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "operators": {"type": "array", "items": {"type": "string"}},
    "type": {"type": "string", "enum": _TYPES},
    "required": {"$ref": "#/definitions/stringArray"},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "maxLength": {"$ref": "#/definitions/positiveInteger"},
    "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "pattern": {"type": "string", "format": "regex"},
    "enum": {"type": "array"},
    "readonly": {"type": "boolean"},
    "default": {},
    "items": {"type": "object", "properties": {
        "type": {"type": "string", "enum": _TYPES},
        "enum": {"type": "array"},
    }},
    "maxItems": {"$ref": "#/definitions/positiveInteger"},
    "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "uniqueItems": {"type": "boolean", "default": False},
    "additionalItems": {"type": "boolean"},
}


def _definitions(string_array_min: int | None = None) -> dict[str, Any]:
    string_array: dict[str, Any] = {"type": "array", "items": {"type": "string"},
                                    "uniqueItems": True}
    if string_array_min is not None:
        string_array["minItems"] = string_array_min
    return {
        "positiveInteger": {"type": "integer", "minimum": 0},
        "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"},
                                              {"default": 0}]},
        "stringArray": string_array,
    }


def _namespace_definitions() -> dict[str, Any]:
    return {**_definitions(), "property": {
        "type": "object",
        "additionalProperties": {"type": "object", "required": ["title", "type"],
                                 "properties": copy.deepcopy(_PROPERTY_FIELDS)},
    }}


def _item(name: str, properties: dict[str, Any], required: list[str] | None,
          definitions: dict[str, Any] | None = None) -> dict[str, Any]:
    """An item schema the way Glance renders one: no other properties allowed."""
    schema: dict[str, Any] = {"name": name, "properties": properties,
                              "additionalProperties": False}
    if definitions:
        schema["definitions"] = definitions
    if required:
        schema["required"] = required
    return schema


def _collection(name: str, item: dict[str, Any], *, as_dict: bool = False) -> dict[str, Any]:
    """A list (or, for properties, a map) of items, their definitions hoisted."""
    item = copy.deepcopy(item)
    definitions = item.pop("definitions", None)
    container: dict[str, Any] = ({"type": "object", "additionalProperties": item} if as_dict
                                 else {"type": "array", "items": item})
    schema: dict[str, Any] = {
        "name": name,
        "properties": {name: container, "first": {"type": "string"},
                       "next": {"type": "string"}, "schema": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }
    if definitions:
        schema["definitions"] = definitions
    return schema


def namespace_schema() -> dict[str, Any]:
    names_only = {"type": "object", "properties": {"name": {"type": "string"}}}
    properties = {
        "namespace": _str("The namespace's name, unique in the cloud.", maxLength=80),
        "display_name": _str("A name for people, shown by dashboards.", maxLength=80),
        "description": _str("What the namespace defines.", maxLength=500),
        "visibility": _str("Who may see the namespace.", enum=["public", "private"]),
        "protected": {"type": "boolean",
                      "description": "Whether deleting the namespace is refused."},
        "owner": _str("The project owning the namespace.", maxLength=255),
        "created_at": _time("When the namespace was created."),
        "updated_at": _time("When the namespace last changed."),
        "schema": dict(_READ_ONLY_STR),
        "self": dict(_READ_ONLY_STR),
        "resource_type_associations": {"type": "array", "items": {
            "type": "object", "properties": {
                "name": {"type": "string"}, "prefix": {"type": "string"},
                "properties_target": {"type": "string"}}}},
        "properties": {"$ref": "#/definitions/property"},
        "objects": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "required": {"$ref": "#/definitions/stringArray"},
            "properties": {"$ref": "#/definitions/property"}}}},
        "tags": {"type": "array", "items": names_only},
    }
    return _item("namespace", properties, ["namespace"], _namespace_definitions())


def object_schema() -> dict[str, Any]:
    properties = {
        "name": {"type": "string", "maxLength": 80},
        "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"},
        "properties": {"$ref": "#/definitions/property"},
        "schema": dict(_READ_ONLY_STR),
        "self": dict(_READ_ONLY_STR),
        "created_at": _time("When the object was created."),
        "updated_at": _time("When the object last changed."),
    }
    return _item("object", properties, ["name"], _namespace_definitions())


def property_schema(require_name: bool = True) -> dict[str, Any]:
    required = ["type", "title", "name"] if require_name else ["type", "title"]
    return _item("property", copy.deepcopy(_PROPERTY_FIELDS), required,
                 _definitions(string_array_min=1))


def resource_type_schema() -> dict[str, Any]:
    properties = {
        "name": _str("The resource type, named as Heat names resource types when it "
                     "can be (OS::Nova::Flavor).", maxLength=80),
        "prefix": _str("What the namespace's property names get prefixed with when "
                       "applied to this resource type, separator included (hw_).",
                       maxLength=80),
        "properties_target": _str("Which of the resource's key/value sets the "
                                  "properties go to, for resources with several "
                                  "(a volume's image metadata: image).", maxLength=80),
        "created_at": _time("When the association was made."),
        "updated_at": _time("When the association last changed."),
    }
    return _item("resource_type_association", properties, ["name"])


def tag_schema() -> dict[str, Any]:
    properties = {
        "name": {"type": "string", "maxLength": 80},
        "created_at": _time("When the tag was created."),
        "updated_at": _time("When the tag last changed."),
    }
    return _item("tag", properties, ["name"])


def tags_body_schema() -> dict[str, Any]:
    """The body of POST .../tags: a list of tags given by name."""
    tag = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 80}},
           "required": ["name"], "additionalProperties": False}
    return _item("tags", {"tags": {"type": "array", "items": tag}}, None)


def namespace(req: Request) -> Response:
    """GET /v2/schemas/metadefs/namespace: 200."""
    return json_response(namespace_schema())


def namespaces(req: Request) -> Response:
    """GET /v2/schemas/metadefs/namespaces: 200."""
    return json_response(_collection("namespaces", namespace_schema()))


def object_(req: Request) -> Response:
    """GET /v2/schemas/metadefs/object: 200."""
    return json_response(object_schema())


def objects(req: Request) -> Response:
    """GET /v2/schemas/metadefs/objects: 200."""
    return json_response(_collection("objects", object_schema()))


def property_(req: Request) -> Response:
    """GET /v2/schemas/metadefs/property: 200."""
    return json_response(property_schema())


def properties(req: Request) -> Response:
    """GET /v2/schemas/metadefs/properties: 200 (a map of name to definition,
    whose name is then not required)."""
    item = property_schema()
    item["required"] = [key for key in item["required"] if key != "name"]
    return json_response(_collection("properties", item, as_dict=True))


def resource_type(req: Request) -> Response:
    """GET /v2/schemas/metadefs/resource_type: 200."""
    return json_response(resource_type_schema())


def resource_types(req: Request) -> Response:
    """GET /v2/schemas/metadefs/resource_types: 200."""
    return json_response(_collection("resource_type_associations", resource_type_schema()))


def tag(req: Request) -> Response:
    """GET /v2/schemas/metadefs/tag: 200."""
    return json_response(tag_schema())


def tags(req: Request) -> Response:
    """GET /v2/schemas/metadefs/tags: 200."""
    return json_response(_collection("tags", tag_schema()))
