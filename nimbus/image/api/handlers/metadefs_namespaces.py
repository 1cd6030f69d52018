"""/v2/metadefs/namespaces and /v2/metadefs/resource_types: namespaces (with
everything in them at creation and on show), resource types and the
namespaces' associations with them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.db.engine import DuplicateEntry
from nimbus.image.api import common
from nimbus.image.api.handlers import metadefs as md
from nimbus.image.api.handlers import metadefs_schemas as schemas
from nimbus.image.db import metadefs as db

_DEFAULT_LIMIT = 25  # Glance's limit_param_default


# --- namespaces --------------------------------------------------------------------


def _links(req: Request, last: dict[str, Any] | None) -> dict[str, str]:
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    first = "/v2/metadefs/namespaces"
    links = {"first": f"{first}?{urlencode(params)}" if params else first,
             "schema": "/v2/schemas/metadefs/namespaces"}
    if last is not None:
        links["next"] = f"{first}?{urlencode([*params, ('marker', last['namespace'])])}"
    return links


def list_namespaces(req: Request) -> Response:
    """GET /v2/metadefs/namespaces: 200, a page of the namespaces the caller
    may see, each with its resource type associations."""
    md.authorize(req, "get_metadef_namespaces")
    md.authorize(req, "list_metadef_resource_types")
    visibility = req.query.get("visibility") or None
    if visibility is not None and visibility not in ("public", "private"):
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    sort_key, sort_dir = md.sort(req, db.NAMESPACE_SORT_KEYS)
    limit = md.limit(req.query.get("limit"), _DEFAULT_LIMIT)
    assert limit is not None
    wanted = [t for t in (req.query.get("resource_types") or "").split(",") if t]
    service = common.image_service(req)
    with service.db.reader() as conn:
        query = db.NamespaceQuery(viewer=common.viewer(req), limit=limit, sort_key=sort_key,
                                  sort_dir=sort_dir, visibility=visibility,
                                  resource_types=wanted)
        if req.query.get("marker"):
            query.marker = md.load_namespace(conn, req, req.query["marker"])
        found = db.list_namespaces(conn, query) if limit else []
        associations = db.list_associations(conn, [ns["id"] for ns in found])
    by_ns: dict[int, list[dict[str, Any]]] = {}
    for row in associations:
        by_ns.setdefault(row["namespace_id"], []).append(md.association_view(row))
    shown = []
    for ns in found:
        if not req.context.allowed("get_metadef_namespace", md.target(req, ns)):
            continue
        view = md.namespace_view(ns)
        if by_ns.get(ns["id"]):
            view["resource_type_associations"] = by_ns[ns["id"]]
        shown.append(view)
    body: dict[str, Any] = {"namespaces": shown}
    body.update(_links(req, found[-1] if found and len(found) == limit else None))
    return json_response(body)


def _add_contents(conn: Any, namespace_id: int, name: str, given: dict[str, Any]) -> None:
    """The objects, properties, tags and associations of a create body."""
    for kind, key, what in (("object", "objects", "object"), ("tag", "tags", "tag")):
        seen: set[str] = set()
        for item in given.get(key) or []:
            folded = item["name"].lower() if kind == "tag" else item["name"]
            if folded in seen:
                raise md.duplicate(what, item["name"], name)
            seen.add(folded)
    objects = [{"name": o["name"], "description": o.get("description"),
                "required": o.get("required"), "properties": o.get("properties") or {}}
               for o in given.get("objects") or []]
    db.create_items(conn, "object", namespace_id, objects)
    db.create_items(conn, "tag", namespace_id, [{"name": t["name"]}
                                                 for t in given.get("tags") or []])
    props = [{"name": key, "definition": {k: v for k, v in value.items() if k != "name"}}
             for key, value in (given.get("properties") or {}).items()]
    db.create_items(conn, "property", namespace_id, props)
    for assoc in given.get("resource_type_associations") or []:
        type_id = _resource_type(conn, assoc)
        if db.associated(conn, namespace_id, type_id):
            raise _duplicate_association(assoc["name"], name)
        db.associate(conn, namespace_id, type_id, assoc.get("prefix"),
                     assoc.get("properties_target"))


def create_namespace(req: Request) -> Response:
    """POST /v2/metadefs/namespaces: 201, the namespace and what it was
    given (objects, properties, tags, resource type associations)."""
    given = md.body(req, schemas.namespace_schema())
    md.authorize(req, "add_metadef_namespace")
    for key, rule in (("resource_type_associations", "add_metadef_resource_type_association"),
                      ("objects", "add_metadef_object"), ("properties", "add_metadef_property"),
                      ("tags", "add_metadef_tag")):
        if given.get(key):
            md.authorize(req, rule)
    for obj in given.get("objects") or []:
        for definition in (obj.get("properties") or {}).values():
            md.validate(definition, schemas.property_schema(require_name=False))
    name = given["namespace"]
    values = {"namespace": name, "display_name": given.get("display_name"),
              "description": given.get("description"),
              "visibility": given.get("visibility") or "private",
              "protected": bool(given.get("protected", False)),
              "owner": given.get("owner") or req.context.project_id}
    if values["owner"] is None:
        raise errors.BadRequest("A namespace needs an owner: none given, no project scoped.")
    service = common.image_service(req)
    duplicate = errors.Conflict(f"The metadata definition namespace={name} already exists.")
    try:
        with service.db.writer() as conn:
            if db.namespace_taken(conn, name):
                raise duplicate
            namespace_id = db.create_namespace(conn, values)
            _add_contents(conn, namespace_id, name, given)
    except DuplicateEntry:
        raise duplicate from None
    with service.db.reader() as conn:
        view = _detail(conn, req, md.load_namespace(conn, req, name), None)
    return json_response(view, status=201, headers={"Location": req.url(md.ns_href(name))})


def _detail(conn: Any, req: Request, ns: dict[str, Any], resource_type: str | None
            ) -> dict[str, Any]:
    """The namespace with its contents; property names prefixed as the
    association with `resource_type` says."""
    view = md.namespace_view(ns)
    name, ns_id = ns["namespace"], ns["id"]
    associations = db.list_associations(conn, [ns_id])
    objects = db.list_items(conn, "object", [ns_id])
    props = db.list_items(conn, "property", [ns_id])
    tags = db.list_items(conn, "tag", [ns_id])
    prefix = next((a["prefix"] or "" for a in associations if a["name"] == resource_type), "")
    if objects:
        view["objects"] = [md.object_view(name, o, prefix) for o in objects]
    if associations:
        view["resource_type_associations"] = [md.association_view(a) for a in associations]
    if props:
        view["properties"] = {prefix + p["name"]: p["definition"] for p in props}
    if tags:
        view["tags"] = [{"name": t["name"]} for t in tags]
    return view


def show_namespace(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}: 200, with its contents."""
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "get_metadef_namespace", ns)
        for rule in ("list_metadef_resource_types", "get_metadef_objects",
                     "get_metadef_properties", "get_metadef_tags"):
            md.authorize(req, rule, ns)
        view = _detail(conn, req, ns, req.query.get("resource_type") or None)
    return json_response(view)


def update_namespace(req: Request) -> Response:
    """PUT /v2/metadefs/namespaces/{namespace}: 200. Attributes left out are
    reset (visibility private, not protected, owned by the caller's project)."""
    given = md.body(req, schemas.namespace_schema())
    service = common.image_service(req)
    new_name = given["namespace"]
    duplicate = errors.Conflict("Invalid update. It would result in a duplicate metadata "
                                f"definition namespace with the same name of {new_name}")
    try:
        with service.db.writer() as conn:
            ns = md.load_namespace(conn, req)
            md.authorize(req, "modify_metadef_namespace", ns)
            if db.namespace_taken(conn, new_name, but=ns["id"]):
                raise duplicate
            values = {"namespace": new_name, "display_name": given.get("display_name"),
                      "description": given.get("description"),
                      "visibility": given.get("visibility") or "private",
                      "protected": bool(given.get("protected") or False),
                      "owner": given.get("owner") or req.context.project_id or ns["owner"]}
            db.update_namespace(conn, ns["id"], values)
            found = db.namespace_by_id(conn, ns["id"])
    except DuplicateEntry:
        raise duplicate from None
    return json_response(md.namespace_view(found))


def delete_namespace(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}: 204, with its contents;
    403 while it is protected."""
    service = common.image_service(req)
    with service.db.writer() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "delete_metadef_namespace", ns)
        md.refuse_if_protected(ns, "namespace", ns["namespace"])
        db.delete_namespace(conn, ns["id"])
    return empty_response(204)


def _delete_contents(req: Request, kind: str, rules: tuple[str, ...]) -> Response:
    service = common.image_service(req)
    with service.db.writer() as conn:
        ns = md.load_namespace(conn, req)
        for rule in rules:
            md.authorize(req, rule, ns)
        md.refuse_if_protected(ns, "namespace", ns["namespace"])
        db.delete_contents(conn, ns["id"], kind)
    return empty_response(204)


def delete_objects(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/objects: 204."""
    return _delete_contents(req, "objects", ("delete_metadef_namespace",))


def delete_properties(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/properties: 204."""
    return _delete_contents(req, "properties", ("delete_metadef_namespace",))


def delete_tags(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/tags: 204."""
    return _delete_contents(req, "tags", ("delete_metadef_namespace", "delete_metadef_tags"))


# --- resource types ----------------------------------------------------------------


def _resource_type(conn: Any, assoc: dict[str, Any]) -> int:
    type_id = db.resource_type_id(conn, assoc["name"], create=True)
    assert type_id is not None
    return type_id


def _duplicate_association(type_name: str, namespace: str) -> errors.Conflict:
    return errors.Conflict(f"The metadata definition resource-type association of "
                           f"resource-type={type_name} to namespace={namespace} "
                           "already exists.")


def list_resource_types(req: Request) -> Response:
    """GET /v2/metadefs/resource_types: 200, every resource type."""
    md.authorize(req, "list_metadef_resource_types")
    service = common.image_service(req)
    with service.db.reader() as conn:
        found = db.list_resource_types(conn)
    return json_response({"resource_types": [md.association_view(
        {"name": t["name"], "created_at": t["created_at"], "updated_at": t["updated_at"]})
        for t in found]})


def list_associations(req: Request) -> Response:
    """GET /v2/metadefs/namespaces/{namespace}/resource_types: 200."""
    service = common.image_service(req)
    with service.db.reader() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "list_metadef_resource_types", ns)
        found = db.list_associations(conn, [ns["id"]])
    shown = [md.association_view(a) for a in found
             if req.context.allowed("get_metadef_resource_type", md.target(req, ns))]
    return json_response({"resource_type_associations": shown})


def create_association(req: Request) -> Response:
    """POST /v2/metadefs/namespaces/{namespace}/resource_types: 201. An
    unknown resource type is added first."""
    given = md.body(req, schemas.resource_type_schema(), ("created_at", "updated_at"))
    service = common.image_service(req)
    try:
        with service.db.writer() as conn:
            ns = md.load_namespace(conn, req)
            md.authorize(req, "add_metadef_resource_type_association", ns)
            type_id = _resource_type(conn, given)
            if db.associated(conn, ns["id"], type_id):
                raise _duplicate_association(given["name"], ns["namespace"])
            db.associate(conn, ns["id"], type_id, given.get("prefix"),
                         given.get("properties_target"))
            row = next(a for a in db.list_associations(conn, [ns["id"]])
                       if a["name"] == given["name"])
    except DuplicateEntry:
        raise _duplicate_association(given["name"], req.path_params["namespace"]) from None
    return json_response(md.association_view(row), status=201)


def delete_association(req: Request) -> Response:
    """DELETE /v2/metadefs/namespaces/{namespace}/resource_types/{name}: 204."""
    service = common.image_service(req)
    type_name = req.path_params["resource_type"]
    with service.db.writer() as conn:
        ns = md.load_namespace(conn, req)
        md.authorize(req, "remove_metadef_resource_type_association", ns)
        md.refuse_if_protected(ns, "resource-type-association", type_name)
        if not db.dissociate(conn, ns["id"], type_name):
            raise errors.NotFound(f"Failed to find resource type {type_name} to delete")
    return empty_response(204)
