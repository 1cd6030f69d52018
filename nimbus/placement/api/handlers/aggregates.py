"""/resource_providers/{uuid}/aggregates (from 1.1; generations from 1.19)."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api.handlers.providers import get_or_404
from nimbus.placement.api.schemas import providers as schema
from nimbus.placement.api.util import (
    extract_json,
    handler,
    json_reply,
    placement,
    require_content,
    want,
)
from nimbus.placement.db import aggregates, providers


def _reply(req: Request, uuids: list[str], generation: int) -> Response:
    body: dict[str, object] = {"aggregates": uuids}
    if want(req, "1.19"):
        body["resource_provider_generation"] = generation
    return json_reply(req, body)


@handler("1.1", accept=True)
def list_aggregates(req: Request) -> Response:
    """GET /resource_providers/{uuid}/aggregates -> 200."""
    req.context.can("placement:resource_providers:aggregates:list")
    with placement(req).db.reader() as conn:
        rp = providers.get(conn, req.path_params["uuid"])
        uuids = aggregates.of_provider(conn, rp.id)
    return _reply(req, uuids, rp.generation)


@handler("1.1")
def set_aggregates(req: Request) -> Response:
    """PUT /resource_providers/{uuid}/aggregates -> 200."""
    req.context.can("placement:resource_providers:aggregates:update")
    require_content(req)
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, req.path_params["uuid"])
    with_generation = want(req, "1.19")
    data = extract_json(req, schema.PUT_AGGREGATES_V1_19 if with_generation
                        else schema.PUT_AGGREGATES_V1_1)
    if with_generation:
        if data["resource_provider_generation"] != rp.generation:
            raise errors.Conflict("Resource provider's generation already changed. Please "
                                  "update the generation and try again.",
                                  code=codes.CONCURRENT_UPDATE)
        uuids = data["aggregates"]
    else:
        uuids = data
    generation = rp.generation
    try:
        with placement(req).db.writer() as conn:
            aggregates.set_for_provider(conn, rp.id, uuids)
            if with_generation:
                generation = providers.bump_generation(conn, rp)
    except exc.ConcurrentUpdateDetected as error:
        raise errors.Conflict(f"Update conflict: {error}", code=codes.CONCURRENT_UPDATE) from None
    return _reply(req, uuids, generation)
