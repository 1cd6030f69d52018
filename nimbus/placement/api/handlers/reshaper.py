"""POST /reshaper (1.30-): move inventories and allocations in one step."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api.handlers.allocations import (
    consumer_request,
    generation_conflict,
    provider_missing,
)
from nimbus.placement.api.schemas import reshaper as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    placement,
    require_content,
    want,
)
from nimbus.placement.db import allocations, inventories, providers, reshaper


@handler("1.30")
def reshape(req: Request) -> Response:
    """POST /reshaper -> 204."""
    req.context.can("placement:reshaper:reshape")
    require_content(req)
    data = extract_json(req, schema.POST_V1_38 if want(req, "1.38") else
                        schema.POST_V1_34 if want(req, "1.34") else schema.POST_V1_30)
    state = placement(req)
    with state.db.reader() as conn:
        for uuid, body in data["inventories"].items():
            try:
                rp = providers.get(conn, uuid)
            except exc.NotFound:
                raise bad_request(f"Resource provider {uuid} in inventories not found: No "
                                  f"resource provider with uuid {uuid} found",
                                  codes.RESOURCE_PROVIDER_NOT_FOUND) from None
            if body["resource_provider_generation"] != rp.generation:
                raise errors.Conflict(
                    f"resource provider generation conflict for provider {uuid}: actual: "
                    f"{rp.generation}, given: {body['resource_provider_generation']}",
                    code=codes.CONCURRENT_UPDATE)
    new_inventories = {uuid: [inventories.make(rc, fields)
                              for rc, fields in body["inventories"].items()]
                       for uuid, body in data["inventories"].items()}
    requests = [consumer_request(req, uuid, body) for uuid, body in data["allocations"].items()]
    try:
        with state.db.writer() as conn:
            reshaper.reshape(conn, new_inventories, requests)
    except allocations.ConsumerGenerationConflict as conflict:
        raise generation_conflict(conflict) from None
    except allocations.ProviderMissing as missing:
        raise provider_missing(missing) from None
    except exc.ConcurrentUpdateDetected as error:
        raise errors.Conflict(f"update conflict: {error}", code=codes.CONCURRENT_UPDATE) from None
    except exc.NotFound as error:
        raise bad_request(f"malformed reshaper data: {error}") from None
    except exc.InventoryInUse as error:
        raise errors.Conflict(f"update conflict: {error}", code=codes.INVENTORY_INUSE) from None
    except exc.InvalidInventory as error:
        raise errors.Conflict(f"Unable to allocate inventory: {error}") from None
    return empty()
