"""What a namespace holds: /v2/metadefs/namespaces/{namespace}/objects,
/properties and /tags (each named uniquely within its namespace; tag names
without regard to case)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.db.engine import DuplicateEntry
from nimbus.image.api import common
from nimbus.image.api.handlers import metadefs as md
from nimbus.image.api.handlers import metadefs_schemas as schemas
from nimbus.image.db import metadefs as db

_MISSING = {
    "object": "The metadata definition object with name={name} was not found in "
              "namespace={namespace}.",
    "property": "The metadata definition property with name={name} was not found in "
                "namespace={namespace}.",
    "tag": "The metadata definition tag with name={name} was not found in "
           "namespace={namespace}.",
}


def _load(conn: Any, kind: str, ns: dict[str, Any], name: str) -> dict[str, Any]:
    found = db.get_item(conn, kind, ns["id"], name)
    if found is None:
        raise errors.NotFound(_MISSING[kind].format(name=name, namespace=ns["namespace"]))
    return found


def _write(req: Request, kind: str, rule: str, name: str, values: dict[str, Any],
           item_name: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create (`item_name` None) or change an item named `name` afterwards;
    409 when the namespace already holds another of that name."""
    service = common.image_service(req)
    namespace = req.path_params["namespace"]
    try:
        with service.db.writer() as conn:
            ns = md.load_namespace(conn, req)
            md.authorize(req, rule, ns)
            current = _load(conn, kind, ns, item_name) if item_name is not None else None
            but = current["id"] if current is not None else None
            if db.name_taken(conn, kind, ns["id"], name, but=but):
                raise md.duplicate(kind, name, namespace)
            if current is None:
                db.create_items(conn, kind, ns["id"], [{"name": name, **values}])
            else:
                db.update_item(conn, kind, current["id"], {"name": name, **values})
            row = _load(conn, kind, ns, name)
    except DuplicateEntry:
        raise md.duplicate(kind, name, namespace) from None
    return ns, row


def _show(req: Request, kind: str, rule: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, rule, ns)
        return ns, _load(conn, kind, ns, name)


def _delete(req: Request, kind: str, rule: str, name: str) -> Response:
    service = common.image_service(req)
    with service.db.writer() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, rule, ns)
        row = _load(conn, kind, ns, name)
        md.refuse_if_protected(ns, kind, name)
        db.delete_item(conn, kind, row["id"])
    return empty_response(204)


# --- objects -----------------------------------------------------------------------


def _object_values(req: Request) -> tuple[str, dict[str, Any]]:
    given = md.body(req, schemas.object_schema())
    for definition in (given.get("properties") or {}).values():
        md.validate(definition, schemas.property_schema(require_name=False))
    return given["name"], {"description": given.get("description"),
                           "required": given.get("required"),
                           "properties": given.get("properties") or {}}


def list_objects(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/objects: 200."""
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "get_metadef_objects", ns)
        found = db.list_items(conn, "object", [ns["id"]])
    shown = [md.object_view(ns["namespace"], o) for o in found
             if req.context.allowed("get_metadef_object", md.target(req, ns))]
    # Glance's link lacks the leading slash; clients may compare it.
    return json_response({"objects": shown, "schema": "v2/schemas/metadefs/objects"})


def create_object(req: Request) -> Response:
    """POST /v2/metadefs/namespaces/{namespace}/objects: 201."""
    name, values = _object_values(req)
    ns, row = _write(req, "object", "add_metadef_object", name, values)
    return json_response(md.object_view(ns["namespace"], row), status=201)


def show_object(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/objects/{object_name}: 200."""
    ns, row = _show(req, "object", "get_metadef_object", req.path_params["object_name"])
    return json_response(md.object_view(ns["namespace"], row))


def update_object(req: Request) -> Response:
    """PUT /v2/metadefs/namespaces/{namespace}/objects/{object_name}: 200;
    what the body leaves out is cleared."""
    name, values = _object_values(req)
    ns, row = _write(req, "object", "modify_metadef_object", name, values,
                     item_name=req.path_params["object_name"])
    return json_response(md.object_view(ns["namespace"], row))


def delete_object(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/objects/{object_name}: 204."""
    return _delete(req, "object", "delete_metadef_object", req.path_params["object_name"])


# --- properties --------------------------------------------------------------------


def _property_values(req: Request) -> tuple[str, dict[str, Any]]:
    given = md.body(req, schemas.property_schema(), ("created_at", "updated_at"))
    definition = {k: v for k, v in given.items() if k != "name"}
    return given["name"], {"definition": definition}


def list_properties(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/properties: 200, a map of
    name to definition."""
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "get_metadef_properties", ns)
        found = db.list_items(conn, "property", [ns["id"]])
    return json_response({"properties": {p["name"]: p["definition"] for p in found}})


def create_property(req: Request) -> Response:
    """POST /v2/metadefs/namespaces/{namespace}/properties: 201."""
    name, values = _property_values(req)
    _, row = _write(req, "property", "add_metadef_property", name, values)
    return json_response(md.property_view(row), status=201)


def show_property(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/properties/{property_name}: 200.
    With ``resource_type``, the name is given with that association's prefix."""
    name = req.path_params["property_name"]
    resource_type = req.query.get("resource_type")
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "get_metadef_property", ns)
        if resource_type:
            md.authorize(req, "get_metadef_resource_type", ns)
            assoc = next((a for a in db.list_associations(conn, [ns["id"]])
                          if a["name"] == resource_type), None)
            if assoc is None:
                raise errors.NotFound(
                    f"The metadata definition resource-type association of resource-type="
                    f"{resource_type} to namespace={ns['namespace']}, was not found.")
            prefix = assoc["prefix"]
            if not prefix or not name.startswith(prefix):
                raise errors.NotFound(f"Property {name} does not start with the expected "
                                      f"resource type association prefix of '{prefix}'.")
            name = name[len(prefix):]
        row = _load(conn, "property", ns, name)
    return json_response(md.property_view(row))


def update_property(req: Request) -> Response:
    """PUT /v2/metadefs/namespaces/{namespace}/properties/{property_name}: 200."""
    name, values = _property_values(req)
    _, row = _write(req, "property", "modify_metadef_property", name, values,
                    item_name=req.path_params["property_name"])
    return json_response(md.property_view(row))


def delete_property(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/properties/{property_name}: 204."""
    return _delete(req, "property", "remove_metadef_property",
                   req.path_params["property_name"])


# --- tags --------------------------------------------------------------------------


def list_tags(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/tags: 200 (limit, marker,
    sort_key, sort_dir)."""
    sort_key, sort_dir = md.sort(req, db.TAG_SORT_KEYS)
    limit = md.limit(req.query.get("limit"), None)
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "get_metadef_tags", ns)
        marker = None
        if req.query.get("marker"):
            marker = _load(conn, "tag", ns, req.query["marker"])
        found = db.list_tags(conn, ns["id"], limit, sort_key, sort_dir, marker)
    return json_response({"tags": [md.tag_view(t, times=False) for t in found]})


def create_tag(req: Request) -> Response:
    """POST /v2/metadefs/namespaces/{namespace}/tags/{tag_name}: 201 (no body)."""
    name = req.path_params["tag_name"]
    md.validate({"name": name}, schemas.tag_schema())
    _, row = _write(req, "tag", "add_metadef_tag", name, {})
    return json_response(md.tag_view(row), status=201)


def create_tags(req: Request) -> Response:
    """POST /v2/metadefs/namespaces/{namespace}/tags {"tags": [{"name"}]}: 201.
    The tags replace the namespace's, or are added to them with
    ``X-Openstack-Append: true``."""
    given = md.body(req, schemas.tags_body_schema(), ("created_at", "updated_at"))
    names = [t["name"] for t in given.get("tags") or []]
    append = req.headers.get("x-openstack-append", "").strip().lower() in (
        "1", "t", "true", "on", "y", "yes")
    service = common.image_service(req)
    namespace = req.path_params["namespace"]
    try:
        with service.db.writer() as conn:
            ns = md.load_namespace(conn, req)
            md.authorize(req, "add_metadef_tags", ns)
            seen: set[str] = set()
            for name in names:
                if name.lower() in seen:
                    raise md.duplicate("tag", name, namespace)
                seen.add(name.lower())
            if append:
                for name in names:
                    if db.name_taken(conn, "tag", ns["id"], name):
                        raise md.duplicate("tag", name, namespace)
            else:
                db.delete_contents(conn, ns["id"], "tags")
            db.create_items(conn, "tag", ns["id"], [{"name": n} for n in names])
    except DuplicateEntry:
        raise errors.Conflict("A metadata tag given already exists in namespace="
                              f"{namespace}.") from None
    return json_response({"tags": [{"name": n} for n in names]}, status=201)


def show_tag(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/tags/{tag_name}: 200."""
    _, row = _show(req, "tag", "get_metadef_tag", req.path_params["tag_name"])
    return json_response(md.tag_view(row))


def update_tag(req: Request) -> Response:
    """PUT /v2/metadefs/namespaces/{namespace}/tags/{tag_name} {"name"}: 200."""
    given = md.body(req, schemas.tag_schema(), ("created_at", "updated_at"))
    _, row = _write(req, "tag", "modify_metadef_tag", given["name"], {},
                    item_name=req.path_params["tag_name"])
    return json_response(md.tag_view(row))


def delete_tag(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/tags/{tag_name}: 204."""
    return _delete(req, "tag", "delete_metadef_tag", req.path_params["tag_name"])
