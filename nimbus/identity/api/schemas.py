"""JSON Schemas of identity request bodies.

Keystone keeps unknown attributes of most entities (they come back beside
the known ones), so entity schemas allow additional properties; the
wrappers around them do not.
"""

from __future__ import annotations

from typing import Any

BOOLEAN = {"type": "boolean"}
DESCRIPTION = {"type": ["string", "null"]}
NAME_64 = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"[\S]+"}
NAME_255 = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-zA-Z0-9-]+$"}
NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64,
               "pattern": "^[a-zA-Z0-9-]+$"}
TAG = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"}
TAGS = {"type": "array", "items": TAG, "maxItems": 80, "uniqueItems": True}
OPTIONS = {"type": "object"}
URL = {"type": "string", "minLength": 0, "maxLength": 225, "pattern": "^[a-zA-Z0-9+.-]+:.+"}


def wrapped(key: str, properties: dict[str, Any], required: list[str] | None = None,
            min_properties: int = 0, additional: bool = True) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "object", "properties": properties,
                             "additionalProperties": additional}
    if required:
        inner["required"] = required
    if min_properties:
        inner["minProperties"] = min_properties
    return {"type": "object", "properties": {key: inner}, "required": [key],
            "additionalProperties": False}


# -- auth ----------------------------------------------------------------------

_SCOPE_REF: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"},
    "domain": {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}}},
}}

AUTH = {
    "type": "object",
    "properties": {
        "auth": {
            "type": "object",
            "properties": {
                "identity": {
                    "type": "object",
                    "properties": {
                        "methods": {"type": "array", "items": {"type": "string"},
                                    "minItems": 1},
                        "password": {"type": "object", "properties": {
                            "user": {"type": "object", "properties": {
                                "id": {"type": "string"}, "name": {"type": "string"},
                                "password": {"type": "string"},
                                "domain": _SCOPE_REF["properties"]["domain"],
                            }}}},
                        "token": {"type": "object", "properties": {"id": {"type": "string"}},
                                  "required": ["id"]},
                        "application_credential": {"type": "object", "properties": {
                            "id": {"type": "string"}, "name": {"type": "string"},
                            "secret": {"type": "string"},
                            "user": {"type": "object"}}},
                    },
                    "required": ["methods"],
                },
                "scope": {
                    "oneOf": [
                        {"type": "object", "properties": {
                            "project": _SCOPE_REF, "domain": _SCOPE_REF,
                            "system": {"type": "object"},
                            "OS-TRUST:trust": {"type": "object"}}},
                        {"type": "string", "enum": ["unscoped"]},
                    ]
                },
            },
            "required": ["identity"],
        }
    },
    "required": ["auth"],
}

# -- resources -----------------------------------------------------------------

_DOMAIN = {"name": NAME_64, "description": DESCRIPTION, "enabled": BOOLEAN,
           "tags": TAGS, "options": OPTIONS, "explicit_domain_id": ID}
CREATE_DOMAIN = wrapped("domain", _DOMAIN, required=["name"])
UPDATE_DOMAIN = wrapped("domain", _DOMAIN, min_properties=1)

_PROJECT = {"name": NAME_64, "description": DESCRIPTION, "enabled": BOOLEAN,
            "domain_id": NULLABLE_ID, "parent_id": NULLABLE_ID, "is_domain": BOOLEAN,
            "tags": TAGS, "options": OPTIONS}
CREATE_PROJECT = wrapped("project", _PROJECT, required=["name"])
UPDATE_PROJECT = wrapped("project", _PROJECT, min_properties=1)
REPLACE_TAGS = {"type": "object", "properties": {"tags": TAGS}, "required": ["tags"],
                "additionalProperties": False}

# -- users and groups ----------------------------------------------------------

_USER = {"name": NAME_255, "enabled": BOOLEAN, "domain_id": ID,
         "default_project_id": NULLABLE_ID, "description": DESCRIPTION,
         "password": {"type": ["string", "null"]}, "options": OPTIONS}
CREATE_USER = wrapped("user", _USER, required=["name"])
UPDATE_USER = wrapped("user", _USER, min_properties=1)
CHANGE_PASSWORD = wrapped(
    "user", {"password": {"type": "string"}, "original_password": {"type": "string"}},
    required=["password", "original_password"], additional=False)

_GROUP = {"name": NAME_64, "description": DESCRIPTION, "domain_id": ID}
CREATE_GROUP = wrapped("group", _GROUP, required=["name"])
UPDATE_GROUP = wrapped("group", _GROUP, min_properties=1)

# -- roles ---------------------------------------------------------------------

_ROLE = {"name": NAME_255, "description": DESCRIPTION, "domain_id": NULLABLE_ID,
         "options": OPTIONS}
CREATE_ROLE = wrapped("role", _ROLE, required=["name"])
UPDATE_ROLE = wrapped("role", _ROLE, min_properties=1)

# -- catalog -------------------------------------------------------------------

_REGION = {"description": {"type": ["string", "null"], "maxLength": 255},
           "parent_region_id": {"type": ["string", "null"]}, "id": {"type": "string"}}
CREATE_REGION = wrapped("region", _REGION)
UPDATE_REGION = wrapped("region", _REGION, min_properties=1)

_SERVICE = {"type": {"type": "string", "minLength": 1, "maxLength": 255},
            "name": {"type": "string"}, "description": DESCRIPTION, "enabled": BOOLEAN}
CREATE_SERVICE = wrapped("service", _SERVICE, required=["type"])
UPDATE_SERVICE = wrapped("service", _SERVICE, min_properties=1)

_ENDPOINT = {"interface": {"type": "string", "enum": ["public", "internal", "admin"]},
             "service_id": {"type": "string"}, "region_id": {"type": ["string", "null"]},
             "region": {"type": ["string", "null"]}, "url": URL, "enabled": BOOLEAN}
CREATE_ENDPOINT = wrapped("endpoint", _ENDPOINT, required=["interface", "service_id", "url"])
UPDATE_ENDPOINT = wrapped("endpoint", _ENDPOINT, min_properties=1)

_POLICY = {"type": {"type": "string", "maxLength": 255}, "blob": {"type": "string"}}
CREATE_POLICY = wrapped("policy", _POLICY, required=["type", "blob"])
UPDATE_POLICY = wrapped("policy", _POLICY, min_properties=1)

# -- credentials -----------------------------------------------------------------

_CREDENTIAL = {"type": {"type": "string", "minLength": 1, "maxLength": 255},
               "blob": {"type": "string"}, "user_id": {"type": "string"},
               "project_id": {"type": ["string", "null"]}}
CREATE_CREDENTIAL = wrapped("credential", _CREDENTIAL, required=["type", "blob", "user_id"])
UPDATE_CREDENTIAL = wrapped("credential", _CREDENTIAL, min_properties=1)

CREATE_EC2 = {"type": "object", "properties": {"tenant_id": {"type": "string"}},
              "required": ["tenant_id"]}

_ROLE_REF = {"type": "object", "properties": {"id": ID, "name": NAME_255},
             "minProperties": 1, "maxProperties": 1, "additionalProperties": False}
_ACCESS_RULE = {"type": "object", "properties": {
    "id": {"type": "string"},
    "path": {"type": "string", "minLength": 0, "maxLength": 225, "pattern": r"^\/.*"},
    "method": {"type": "string", "enum": ["POST", "GET", "HEAD", "PATCH", "PUT", "DELETE"]},
    "service": {"type": "string"}}, "additionalProperties": False}
CREATE_APP_CRED = wrapped("application_credential", {
    "name": NAME_255,
    "description": DESCRIPTION,
    "secret": {"type": ["string", "null"]},
    "expires_at": {"type": ["string", "null"]},
    "roles": {"type": "array", "items": _ROLE_REF},
    "unrestricted": {"type": ["boolean", "null"]},
    "access_rules": {"type": "array", "items": _ACCESS_RULE},
}, required=["name"], additional=False)

# -- OS-EP-FILTER ----------------------------------------------------------------

_ENDPOINT_GROUP_FILTERS = {"type": "object", "properties": {
    "interface": {"type": "string", "enum": ["public", "internal", "admin"]},
    "service_id": {"type": "string"}, "region_id": {"type": ["string", "null"]},
    "enabled": BOOLEAN}}
_ENDPOINT_GROUP = {"name": NAME_255, "description": DESCRIPTION,
                   "filters": _ENDPOINT_GROUP_FILTERS}
CREATE_ENDPOINT_GROUP = wrapped("endpoint_group", _ENDPOINT_GROUP, required=["name", "filters"],
                                additional=False)
UPDATE_ENDPOINT_GROUP = wrapped("endpoint_group", _ENDPOINT_GROUP, min_properties=1,
                                additional=False)

# -- OS-OAUTH1 -------------------------------------------------------------------

_CONSUMER = {"description": DESCRIPTION}
# Keystone creates a consumer from an empty body too.
CREATE_CONSUMER = {"type": "object", "properties": {"consumer": {
    "type": "object", "properties": _CONSUMER, "additionalProperties": True}},
    "additionalProperties": False}
UPDATE_CONSUMER = wrapped("consumer", _CONSUMER, min_properties=1)
UPDATE_CONSUMER["properties"]["consumer"]["not"] = {"required": ["secret"]}

# -- domain configuration ----------------------------------------------------------

# Which groups and options may be set is the data layer's business (Keystone
# answers 403 for those); the schema only insists on the shape.
DOMAIN_CONFIG = {"type": "object", "properties": {"config": {"type": "object"}},
                 "required": ["config"], "additionalProperties": False}
