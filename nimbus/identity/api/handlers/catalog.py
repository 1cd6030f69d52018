"""/v3/regions, /v3/services, /v3/endpoints and /v3/policies: plain CRUD.

They differ only in names, list filters and the data layer they call, so
one factory makes the five handlers of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, query_bool, with_links
from nimbus.identity.db import catalog, policies

Handler = Callable[[Request], Response]
Connection = Any  # the data layer's; handlers only pass it along


@dataclass(frozen=True)
class Resource:
    key: str  # "region"
    collection: str  # "regions"
    create_schema: dict[str, Any]
    update_schema: dict[str, Any]
    get: Callable[[Connection, str], dict[str, Any]]
    list: Callable[..., list[dict[str, Any]]]
    create: Callable[[Connection, dict[str, Any]], dict[str, Any]]
    update: Callable[[Connection, str, dict[str, Any]], dict[str, Any]]
    delete: Callable[[Connection, str], None]
    filters: tuple[str, ...] = ()
    bool_filters: tuple[str, ...] = ()


def handlers(res: Resource) -> dict[str, Handler]:
    rule = f"identity:%s_{res.key}"
    id_param = f"{res.key}_id"

    def list_items(req: Request) -> Response:
        req.context.can(f"identity:list_{res.collection}")
        kwargs: dict[str, Any] = {f: req.query.get(f) for f in res.filters if req.query.get(f)}
        for name in res.bool_filters:
            if query_bool(req, name) is not None:
                kwargs[name] = query_bool(req, name)
        with identity(req).db.reader() as conn:
            found = res.list(conn, **kwargs)
        return list_response(req, res.collection, found,
                             lambda r: with_links(req, res.collection, r))

    def create_item(req: Request) -> Response:
        ref = entity(req, res.key, res.create_schema)
        req.context.can(rule % "create")
        if req.method == "PUT":
            ref["id"] = req.path_params[id_param]
        with identity(req).db.writer() as conn:
            created = res.create(conn, ref)
        return json_response({res.key: with_links(req, res.collection, created)}, 201)

    def show_item(req: Request) -> Response:
        req.context.can(rule % "get")
        with identity(req).db.reader() as conn:
            found = res.get(conn, req.path_params[id_param])
        return json_response({res.key: with_links(req, res.collection, found)})

    def update_item(req: Request) -> Response:
        changes = entity(req, res.key, res.update_schema)
        req.context.can(rule % "update")
        with identity(req).db.writer() as conn:
            updated = res.update(conn, req.path_params[id_param], changes)
        return json_response({res.key: with_links(req, res.collection, updated)})

    def delete_item(req: Request) -> Response:
        req.context.can(rule % "delete")
        with identity(req).db.writer() as conn:
            res.delete(conn, req.path_params[id_param])
        return empty_response()

    return {"list": list_items, "create": create_item, "show": show_item,
            "update": update_item, "delete": delete_item}


RESOURCES = [
    Resource("region", "regions", schemas.CREATE_REGION, schemas.UPDATE_REGION,
             catalog.get_region, catalog.list_regions, catalog.create_region,
             catalog.update_region, catalog.delete_region, filters=("parent_region_id",)),
    Resource("service", "services", schemas.CREATE_SERVICE, schemas.UPDATE_SERVICE,
             catalog.get_service, catalog.list_services, catalog.create_service,
             catalog.update_service, catalog.delete_service, filters=("type", "name")),
    Resource("endpoint", "endpoints", schemas.CREATE_ENDPOINT, schemas.UPDATE_ENDPOINT,
             catalog.get_endpoint, catalog.list_endpoints, catalog.create_endpoint,
             catalog.update_endpoint, catalog.delete_endpoint,
             filters=("service_id", "interface", "region_id", "region")),
    Resource("policy", "policies", schemas.CREATE_POLICY, schemas.UPDATE_POLICY,
             policies.get, policies.list_policies, policies.create, policies.update,
             policies.delete, filters=("type",)),
]


def routes() -> dict[str, dict[str, Handler]]:
    table: dict[str, dict[str, Handler]] = {}
    for res in RESOURCES:
        verbs = handlers(res)
        table[f"/v3/{res.collection}"] = {"GET": verbs["list"], "POST": verbs["create"]}
        item = {"GET": verbs["show"], "PATCH": verbs["update"], "DELETE": verbs["delete"]}
        if res.key == "region":
            item["PUT"] = verbs["create"]  # create a region with the id of the URL
        table[f"/v3/{res.collection}/{{{res.key}_id}}"] = item
    return table
