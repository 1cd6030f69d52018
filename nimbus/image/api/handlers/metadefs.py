"""Metadata definitions (/v2/metadefs): what their handlers share.

A namespace (OS::Compute::Libvirt) holds property definitions, objects
(named groups of properties), tags and associations with resource types
(OS::Glance::Image ...). The handlers are in metadefs_namespaces (namespaces
and resource types) and metadefs_contents (objects, properties, tags); the
schemas in metadefs_schemas.

Policy works as Glance's MetadefAPIPolicy: the target is the namespace's
owner (as ``project_id``) and visibility, or the caller's project when
there is no namespace yet. A namespace the caller may not see is a 404,
whatever the rule that failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.image.api import common, views
from nimbus.image.db import metadefs as db

NS_SCHEMA_LINK = "/v2/schemas/metadefs/namespace"
OBJECT_SCHEMA_LINK = "/v2/schemas/metadefs/object"
READ_ONLY = ("self", "schema", "created_at", "updated_at")


def ns_href(name: str) -> str:
    return f"/v2/metadefs/namespaces/{name}"


# --- the namespace, and policy on it ---------------------------------------------


def target(req: Request, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    if namespace is None:
        return {"project_id": req.context.project_id}
    return {"project_id": namespace["owner"], "visibility": namespace["visibility"]}


def authorize(req: Request, rule: str, namespace: dict[str, Any] | None = None) -> None:
    """403 when `rule` denies the caller, 404 instead when it may not even
    see the namespace."""
    tgt = target(req, namespace)
    if req.context.allowed(rule, tgt):
        return
    if namespace is not None and (rule == "get_metadef_namespace"
                                  or not req.context.allowed("get_metadef_namespace", tgt)):
        raise not_found(namespace["namespace"])
    raise errors.Forbidden(f"You are not authorized to complete {rule} action.")


def not_found(name: str) -> errors.NotFound:
    return errors.NotFound(f"Metadata definition namespace={name} was not found.")


def load_namespace(conn: Any, req: Request, name: str | None = None) -> dict[str, Any]:
    """The namespace of the path (or `name`), or 404 when it is missing or
    hidden from the caller (another project's private namespace)."""
    name = name if name is not None else req.path_params["namespace"]
    found = db.get_namespace(conn, name, common.viewer(req))
    if found is None:
        raise not_found(name)
    return found


def duplicate(what: str, item: str, namespace: str) -> errors.Conflict:
    if what == "tag":
        return errors.Conflict(f"A metadata tag with name={item} already exists in "
                               f"namespace={namespace}. (Please note that metadata tag "
                               "names are case insensitive).")
    return errors.Conflict(f"A metadata definition {what} with name={item} already "
                           f"exists in namespace={namespace}.")


def refuse_if_protected(namespace: dict[str, Any], what: str, name: str) -> None:
    """403 for deleting anything of a protected namespace (`what`: namespace,
    object, property, tag, resource-type-association)."""
    if namespace["protected"]:
        raise errors.Forbidden(f"Metadata definition {what} {name} is protected and "
                               "cannot be deleted.")


# --- bodies and queries ------------------------------------------------------------


def body(req: Request, schema: dict[str, Any], read_only: Iterable[str] = READ_ONLY
         ) -> dict[str, Any]:
    """The JSON object of the request, checked against `schema`: 403 for a
    read-only attribute, 400 for anything else that does not fit."""
    parsed = common.require_json(req)
    if not isinstance(parsed, dict):
        raise errors.BadRequest(f"Provided object does not match schema '{schema['name']}': "
                                "the body must be a JSON object")
    for key in read_only:
        if key in parsed:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
    validate(parsed, schema)
    return parsed


def validate(value: Any, schema: dict[str, Any]) -> None:
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise errors.BadRequest(f"Provided object does not match schema "
                                f"'{schema['name']}': {exc.message}") from None


def limit(value: str | None, default: int | None, maximum: int = 1000) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if number < 0:
        raise errors.BadRequest("limit param must be positive")
    return min(number, maximum)


def sort(req: Request, keys: Iterable[str]) -> tuple[str, str]:
    key = req.query.get("sort_key", "created_at")
    direction = req.query.get("sort_dir", "desc")
    if direction not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {direction}")
    if key not in keys:
        raise errors.BadRequest(f"Invalid sort key: {key}")
    return key, direction


# --- views -------------------------------------------------------------------------


def _times(row: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    for key in ("created_at", "updated_at"):
        if row.get(key) is not None:
            view[key] = views.isotime(row[key])
    return view


def namespace_view(ns: dict[str, Any]) -> dict[str, Any]:
    """A namespace without its contents (None attributes left out, as Glance)."""
    view = {key: ns[key] for key in ("namespace", "display_name", "description",
                                     "visibility", "protected", "owner")
            if ns.get(key) is not None}
    _times(ns, view)
    view["self"] = ns_href(ns["namespace"])
    view["schema"] = NS_SCHEMA_LINK
    return view


def association_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {key: row[key] for key in ("name", "prefix", "properties_target")
            if row.get(key) is not None}
    return _times(row, view)


def object_view(namespace: str, row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    props = row.get("properties") or {}
    view: dict[str, Any] = {"name": row["name"]}
    if row.get("description") is not None:
        view["description"] = row["description"]
    view["required"] = [prefix + name for name in row.get("required") or []]
    view["properties"] = {prefix + name: value for name, value in props.items()}
    _times(row, view)
    view["self"] = f"{ns_href(namespace)}/objects/{row['name']}"
    view["schema"] = OBJECT_SCHEMA_LINK
    return view


def property_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], **row["definition"]}


def tag_view(row: dict[str, Any], times: bool = True) -> dict[str, Any]:
    view = {"name": row["name"]}
    return _times(row, view) if times else view
