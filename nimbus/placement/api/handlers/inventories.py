"""/resource_providers/{uuid}/inventories[/{resource_class}]."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.common.db import DuplicateEntry
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api.handlers.providers import get_or_404
from nimbus.placement.api.schemas import inventories as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    json_reply,
    newest,
    placement,
    require_content,
    want,
)
from nimbus.placement.db import inventories, providers
from nimbus.placement.db.inventories import Inventory
from nimbus.placement.db.providers import Provider

LOG = logging.getLogger(__name__)


def _render(inv: Inventory, generation: int | None = None) -> dict[str, Any]:
    out = inv.fields()
    if generation:
        out["resource_provider_generation"] = generation
    return out


def _warn_over_capacity(rp: Provider, invs: list[Inventory], used: dict[str, int]) -> None:
    for inv in invs:
        if used.get(inv.resource_class, 0) > inv.capacity:
            LOG.warning("Resource provider %s is now over capacity for %s",
                        rp.uuid, inv.resource_class)


def _check_capacity(req: Request, rp: Provider, invs: list[Inventory], action: str) -> None:
    try:
        inventories.check_capacity(invs, rp, reserved_can_be_total=want(req, "1.26"))
    except exc.InvalidInventoryCapacity as error:
        raise bad_request(f"Unable to {action} inventory for resource provider "
                          f"{rp.uuid}: {error}") from None


def _reply_all(req: Request, rp_uuid: str) -> Response:
    with placement(req).db.reader() as conn:
        rp = providers.get(conn, rp_uuid)
        invs = inventories.of_provider(conn, rp)
    return json_reply(req, {"resource_provider_generation": rp.generation,
                            "inventories": {name: _render(inv) for name, inv in invs.items()}},
                      last_modified=newest(*(i.updated_at or i.created_at for i in invs.values())),
                      unknown_modified="omit")


@handler(accept=True)
def list_inventories(req: Request) -> Response:
    """GET /resource_providers/{uuid}/inventories -> 200."""
    req.context.can("placement:resource_providers:inventories:list")
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        get_or_404(conn, uuid, f" : No resource provider with uuid {uuid} found")
    return _reply_all(req, uuid)


@handler(accept=True)
def show_inventory(req: Request) -> Response:
    """GET /resource_providers/{uuid}/inventories/{resource_class} -> 200."""
    req.context.can("placement:resource_providers:inventories:show")
    uuid, rc = req.path_params["uuid"], req.path_params["resource_class"]
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, uuid, f" : No resource provider with uuid {uuid} found")
        inv = inventories.of_provider(conn, rp).get(rc)
    if inv is None:
        raise errors.NotFound(f"No inventory of class {rc} for {uuid}")
    return json_reply(req, _render(inv, rp.generation),
                      last_modified=inv.updated_at or inv.created_at)


@handler()
def create_inventory(req: Request) -> Response:
    """POST /resource_providers/{uuid}/inventories -> 201 with Location."""
    req.context.can("placement:resource_providers:inventories:create")
    require_content(req)
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, uuid)
    data = extract_json(req, schema.POST_INVENTORY)
    inv = inventories.make(data["resource_class"], data)
    _check_capacity(req, rp, [inv], "create")
    try:
        with placement(req).db.writer() as conn:
            generation = inventories.add(conn, rp, inv)
    except (exc.ConcurrentUpdateDetected, DuplicateEntry) as error:
        raise errors.Conflict(f"Update conflict: {error}", code=codes.CONCURRENT_UPDATE) from None
    except exc.NotFound as error:
        raise bad_request(f"Unable to create inventory for resource provider {uuid}: "
                          f"{error}") from None
    return json_reply(req, _render(inv, generation), 201, headers={
        "Location": req.url(f"/resource_providers/{uuid}/inventories/{inv.resource_class}")})


@handler()
def replace_inventories(req: Request) -> Response:
    """PUT /resource_providers/{uuid}/inventories -> 200."""
    req.context.can("placement:resource_providers:inventories:update")
    require_content(req)
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, uuid)
    data = extract_json(req, schema.PUT_INVENTORIES)
    if data["resource_provider_generation"] != rp.generation:
        raise errors.Conflict("resource provider generation conflict",
                              code=codes.CONCURRENT_UPDATE)
    invs = [inventories.make(name, fields) for name, fields in data["inventories"].items()]
    _check_capacity(req, rp, invs, "update")
    try:
        with placement(req).db.writer() as conn:
            used = {n: i.used for n, i in inventories.of_provider(conn, rp).items()}
            inventories.replace_all(conn, rp, invs)
    except exc.ResourceClassNotFound as error:
        raise bad_request(f"Unknown resource class in inventory for resource provider "
                          f"{uuid}: {error}") from None
    except exc.InventoryInUse as error:
        raise errors.Conflict(f"update conflict: {error}", code=codes.INVENTORY_INUSE) from None
    except (exc.ConcurrentUpdateDetected, DuplicateEntry) as error:
        raise errors.Conflict(f"update conflict: {error}", code=codes.CONCURRENT_UPDATE) from None
    _warn_over_capacity(rp, invs, used)
    return _reply_all(req, uuid)


@handler()
def update_inventory(req: Request) -> Response:
    """PUT /resource_providers/{uuid}/inventories/{resource_class} -> 200."""
    req.context.can("placement:resource_providers:inventories:update")
    require_content(req)
    uuid, rc = req.path_params["uuid"], req.path_params["resource_class"]
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, uuid)
    data = extract_json(req, schema.INVENTORY)
    if data["resource_provider_generation"] != rp.generation:
        raise errors.Conflict("resource provider generation conflict",
                              code=codes.CONCURRENT_UPDATE)
    inv = inventories.make(rc, data)
    _check_capacity(req, rp, [inv], "update")
    try:
        with placement(req).db.writer() as conn:
            used = {n: i.used for n, i in inventories.of_provider(conn, rp).items()}
            generation = inventories.update(conn, rp, inv)
    except (exc.ConcurrentUpdateDetected, DuplicateEntry) as error:
        raise errors.Conflict(f"update conflict: {error}", code=codes.CONCURRENT_UPDATE) from None
    except exc.InventoryWithResourceClassNotFound as error:
        raise bad_request(f"No inventory record with resource class for resource provider "
                          f"{uuid}: {error}") from None
    except exc.ResourceClassNotFound as error:
        # NOTE: upstream lets this one through to its generic NotFound -> 404.
        raise errors.NotFound(str(error)) from None
    _warn_over_capacity(rp, [inv], used)
    return json_reply(req, _render(inv, generation))


@handler()
def delete_inventory(req: Request) -> Response:
    """DELETE /resource_providers/{uuid}/inventories/{resource_class} -> 204."""
    req.context.can("placement:resource_providers:inventories:delete")
    uuid, rc = req.path_params["uuid"], req.path_params["resource_class"]
    try:
        with placement(req).db.writer() as conn:
            rp = get_or_404(conn, uuid)
            inventories.delete(conn, rp, rc)
    except (exc.ConcurrentUpdateDetected, exc.InventoryInUse) as error:
        raise errors.Conflict(f"Unable to delete inventory of class {rc}: {error}",
                              code=codes.CONCURRENT_UPDATE) from None
    except exc.NotFound as error:
        raise errors.NotFound(f"No inventory of class {rc} found for delete: {error}") from None
    return empty()


@handler("1.5", absent_status=405)
def delete_inventories(req: Request) -> Response:
    """DELETE /resource_providers/{uuid}/inventories (1.5-) -> 204."""
    req.context.can("placement:resource_providers:inventories:delete")
    uuid = req.path_params["uuid"]
    try:
        with placement(req).db.writer() as conn:
            rp = get_or_404(conn, uuid)
            inventories.replace_all(conn, rp, [])
    except exc.ConcurrentUpdateDetected:
        raise errors.Conflict(f"Unable to delete inventory for resource provider {uuid} because "
                              "the inventory was updated by another process. Please retry your "
                              "request.", code=codes.CONCURRENT_UPDATE) from None
    except exc.InventoryInUse as error:
        raise errors.Conflict(str(error), code=codes.INVENTORY_INUSE) from None
    return empty()
