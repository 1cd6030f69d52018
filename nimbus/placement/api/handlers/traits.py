"""/traits and /resource_providers/{uuid}/traits (from 1.6)."""

from __future__ import annotations

import datetime

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.common.db.types import utcnow
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api.schemas import traits as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    http_date,
    json_reply,
    placement,
    require_content,
    validate_data,
    validate_query,
    want,
)
from nimbus.placement.db import providers, traits


@handler("1.6", accept=True)
def list_traits(req: Request) -> Response:
    """GET /traits -> 200; filters name=in:A,B or startswith:X, associated."""
    req.context.can("placement:traits:list")
    query = validate_query(req, schema.LIST_TRAITS_QUERY)
    name_in: list[str] | None = None
    starts_with: str | None = None
    name = query.get("name")
    if name is not None:
        if name.startswith("in:"):
            name_in = name[3:].split(",")
        elif name.startswith("startswith:"):
            starts_with = name[len("startswith:"):]
        else:
            raise bad_request(f"Badly formatted name parameter. Expected name query string "
                              f"parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. "
                              f"Got: \"{name}\"")
    associated: bool | None = None
    if "associated" in query:
        value = query["associated"].lower()
        if value not in ("true", "false"):
            raise bad_request("The query parameter \"associated\" only accepts \"true\" or "
                              "\"false\"")
        associated = value == "true"
    with placement(req).db.reader() as conn:
        names = traits.list_names(conn, name_in, starts_with, associated)
    return json_reply(req, {"traits": names})


@handler("1.6", accept=True)
def show_trait(req: Request) -> Response:
    """GET /traits/{name} -> 204 if it exists."""
    req.context.can("placement:traits:show")
    with placement(req).db.reader() as conn:
        _id, created, updated = traits.get(conn, req.path_params["name"])
    response = empty()
    _add_modified(req, response, updated or created)
    return response


def _add_modified(req: Request, response: Response, stamp: datetime.datetime | None) -> None:
    """1.15 headers on a bodiless response."""
    if want(req, "1.15"):
        response.headers["Last-Modified"] = http_date(stamp or utcnow())
        response.headers["Cache-Control"] = "no-cache"


@handler("1.6")
def put_trait(req: Request) -> Response:
    """PUT /traits/{name} -> 201 created, 204 existing."""
    req.context.can("placement:traits:update")
    name = req.path_params["name"]
    try:
        validate_data(name, schema.CUSTOM_TRAIT)
    except errors.BadRequest:
        raise bad_request("The trait is invalid. A valid trait must be no longer than 255 "
                          "characters, start with the prefix \"CUSTOM_\" and use following "
                          "characters: \"A\"-\"Z\", \"0\"-\"9\" and \"_\"") from None
    with placement(req).db.writer() as conn:
        created = traits.ensure(conn, name)
        _id, made, changed = traits.get(conn, name)
    response = empty(201 if created else 204, {"Location": req.url(f"/traits/{name}")})
    _add_modified(req, response, changed or made)
    return response


@handler("1.6")
def delete_trait(req: Request) -> Response:
    """DELETE /traits/{name} -> 204."""
    req.context.can("placement:traits:delete")
    name = req.path_params["name"]
    try:
        with placement(req).db.writer() as conn:
            traits.delete(conn, name)
    except exc.TraitCannotDeleteStandard as error:
        raise bad_request(str(error)) from None
    except exc.TraitInUse as error:
        raise errors.Conflict(str(error)) from None
    return empty()


def _provider(req: Request, conn: object) -> providers.Provider:
    uuid = req.path_params["uuid"]
    try:
        return providers.get(conn, uuid)  # type: ignore[arg-type]
    except exc.NotFound:
        raise errors.NotFound(f"No resource provider with uuid {uuid} found") from None


@handler("1.6", accept=True)
def list_provider_traits(req: Request) -> Response:
    """GET /resource_providers/{uuid}/traits -> 200."""
    req.context.can("placement:resource_providers:traits:list")
    with placement(req).db.reader() as conn:
        rp = _provider(req, conn)
        names = traits.of_providers(conn, [rp.id])[rp.id]
    return json_reply(req, {"traits": names, "resource_provider_generation": rp.generation},
                      last_modified=rp.updated_at or rp.created_at)


@handler("1.6")
def update_provider_traits(req: Request) -> Response:
    """PUT /resource_providers/{uuid}/traits -> 200."""
    req.context.can("placement:resource_providers:traits:update")
    require_content(req)
    data = extract_json(req, schema.PUT_PROVIDER_TRAITS)
    with placement(req).db.writer() as conn:
        rp = _provider(req, conn)
        if data["resource_provider_generation"] != rp.generation:
            raise errors.Conflict(
                "Resource provider's generation already changed. Please update the "
                "generation and try again.", code=codes.CONCURRENT_UPDATE)
        known = set(traits.list_names(conn, name_in=list(set(data["traits"]))))
        unknown = set(data["traits"]) - known
        if unknown:
            raise bad_request(f"No such trait {', '.join(sorted(unknown))}")
        generation = rp.generation
        if traits.set_for_provider(conn, rp.id, data["traits"]):
            generation = providers.bump_generation(conn, rp)
    return json_reply(req, {"traits": sorted(data["traits"]),
                            "resource_provider_generation": generation})


@handler("1.6")
def delete_provider_traits(req: Request) -> Response:
    """DELETE /resource_providers/{uuid}/traits -> 204."""
    req.context.can("placement:resource_providers:traits:delete")
    with placement(req).db.writer() as conn:
        rp = _provider(req, conn)
        try:
            if traits.set_for_provider(conn, rp.id, []):
                providers.bump_generation(conn, rp)
        except exc.ConcurrentUpdateDetected as error:
            raise errors.Conflict(str(error), code=codes.CONCURRENT_UPDATE) from None
    return empty()
