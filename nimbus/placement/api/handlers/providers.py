"""/resource_providers: create, list (with filters), show, update, delete."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api import params
from nimbus.placement.api.schemas import providers as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    json_reply,
    newest,
    placement,
    require_content,
    url,
    validate_query,
    want,
)
from nimbus.placement.db import providers, resource_classes, traits
from nimbus.placement.db.providers import Provider


def render(req: Request, rp: Provider) -> dict[str, Any]:
    base = url(req, f"/resource_providers/{rp.uuid}")
    links = [{"rel": "self", "href": base}]
    rels = ["inventories", "usages"]
    if want(req, "1.1"):
        rels.append("aggregates")
    if want(req, "1.6"):
        rels.append("traits")
    if want(req, "1.11"):
        rels.append("allocations")
    links += [{"rel": rel, "href": f"{base}/{rel}"} for rel in rels]
    out: dict[str, Any] = {"uuid": rp.uuid, "name": rp.name, "generation": rp.generation,
                           "links": links}
    if want(req, "1.14"):
        out["parent_provider_uuid"] = rp.parent_uuid
        out["root_provider_uuid"] = rp.root_uuid
    return out


def get_or_404(conn: Any, uuid: str, suffix: str = "") -> Provider:
    """The provider, or a 404 saying which; `conn` is the data layer's."""
    try:
        return providers.get(conn, uuid)
    except exc.NotFound:
        raise errors.NotFound(f"No resource provider with uuid {uuid} found{suffix}") from None


@handler(accept=True)
def list_resource_providers(req: Request) -> Response:
    """GET /resource_providers -> 200."""
    req.context.can("placement:resource_providers:list")
    query_schema = (schema.LIST_V1_18 if want(req, "1.18") else schema.LIST_V1_14
                    if want(req, "1.14") else schema.LIST_V1_4 if want(req, "1.4")
                    else schema.LIST_V1_3 if want(req, "1.3") else schema.LIST_V1_0)
    query = validate_query(req, query_schema)
    f = providers.Filters(name=query.get("name"), uuid=query.get("uuid"),
                          in_tree=query.get("in_tree"))
    if "member_of" in query:
        f.member_of, f.forbidden_aggs = params.member_of(req)
    amounts = params.resources(query["resources"]) if "resources" in query else {}
    required_sets: list[set[str]] = []
    forbidden: set[str] = set()
    if "required" in query:
        required_sets, forbidden = params.required(req)
    with placement(req).db.reader() as conn:
        try:
            rc_ids = resource_classes.ids(conn, amounts)
        except exc.ResourceClassNotFound as error:
            raise bad_request(f"Invalid resource class in resources parameter: {error}") from None
        f.resources = {rc_ids[name]: amount for name, amount in amounts.items()}
        try:
            trait_ids = traits.ids(conn, set().union(*required_sets, forbidden))
        except exc.TraitNotFound as error:
            raise bad_request(f'Invalid trait(s) in "required" parameter: {error}') from None
        f.required_traits = [{trait_ids[t] for t in any_of} for any_of in required_sets]
        f.forbidden_traits = {trait_ids[t] for t in forbidden}
        found = providers.list_providers(conn, f)
    return json_reply(req, {"resource_providers": [render(req, rp) for rp in found]},
                      last_modified=newest(*(rp.updated_at or rp.created_at for rp in found)))


@handler(accept=True)
def show_resource_provider(req: Request) -> Response:
    """GET /resource_providers/{uuid} -> 200."""
    req.context.can("placement:resource_providers:show")
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, req.path_params["uuid"])
    return json_reply(req, render(req, rp), last_modified=rp.updated_at or rp.created_at)


@handler()
def create_resource_provider(req: Request) -> Response:
    """POST /resource_providers -> 201 empty (1.0-1.19), 200 with the provider (1.20-)."""
    req.context.can("placement:resource_providers:create")
    require_content(req)
    data = extract_json(req, schema.POST_PROVIDER_V1_14 if want(req, "1.14")
                        else schema.POST_PROVIDER)
    uuid = str(uuidlib.UUID(data["uuid"])) if data.get("uuid") else str(uuidlib.uuid4())
    name = data["name"]
    try:
        with placement(req).db.writer() as conn:
            rp = providers.create(conn, uuid, name, data.get("parent_provider_uuid"))
    except providers.DuplicateUUID:
        raise errors.Conflict(f"Conflicting resource provider uuid: {uuid} already exists.",
                              code=codes.DUPLICATE_NAME) from None
    except providers.DuplicateName:
        raise errors.Conflict(f"Conflicting resource provider name: {name} already exists.",
                              code=codes.DUPLICATE_NAME) from None
    except providers.ProviderActionError as error:
        raise bad_request(f'Unable to create resource provider "{name}", {uuid}: '
                          f"{error}") from None
    location = {"Location": req.url(f"/resource_providers/{rp.uuid}")}
    if want(req, "1.20"):
        return json_reply(req, render(req, rp), headers=location,
                          last_modified=rp.updated_at or rp.created_at)
    return empty(201, location)


@handler()
def update_resource_provider(req: Request) -> Response:
    """PUT /resource_providers/{uuid} -> 200."""
    req.context.can("placement:resource_providers:update")
    require_content(req)
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        before = get_or_404(conn, uuid)
    data = extract_json(req, schema.PUT_PROVIDER_V1_14 if want(req, "1.14")
                        else schema.PUT_PROVIDER)
    try:
        with placement(req).db.writer() as conn:
            rp = providers.update(
                conn, providers.get(conn, uuid), data["name"], data.get("parent_provider_uuid"),
                parent_given="parent_provider_uuid" in data,
                allow_reparenting=want(req, "1.37"))
    except providers.DuplicateName:
        raise errors.Conflict(f"Conflicting resource provider {data['name']} already exists.",
                              code=codes.DUPLICATE_NAME) from None
    except providers.ProviderActionError as error:
        raise bad_request(f"Unable to save resource provider {uuid}: {error}") from None
    # NOTE: upstream sends the time of the update before this one (it does not
    # re-read the provider), so none for a provider never updated before.
    return json_reply(req, render(req, rp), last_modified=before.updated_at,
                      unknown_modified="omit")


@handler()
def delete_resource_provider(req: Request) -> Response:
    """DELETE /resource_providers/{uuid} -> 204."""
    req.context.can("placement:resource_providers:delete")
    uuid = req.path_params["uuid"]
    try:
        with placement(req).db.writer() as conn:
            try:
                rp = providers.get(conn, uuid)
            except exc.NotFound:
                raise errors.NotFound(
                    f"No resource provider with uuid {uuid} found for delete") from None
            providers.delete(conn, rp)
    except exc.ResourceProviderInUse as error:
        raise errors.Conflict(f"Unable to delete resource provider {uuid}: {error}",
                              code=codes.PROVIDER_IN_USE) from None
    except exc.CannotDeleteParentResourceProvider:
        raise errors.Conflict(f"Unable to delete parent resource provider {uuid}: It has "
                              "child resource providers.",
                              code=codes.PROVIDER_CANNOT_DELETE_PARENT) from None
    return empty()
