"""/resource_providers/{uuid}/usages and /usages (from 1.9)."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request
from nimbus.placement.api.handlers.providers import get_or_404
from nimbus.placement.api.schemas import usages as schema
from nimbus.placement.api.util import handler, json_reply, placement, validate_query, want
from nimbus.placement.db import inventories, usages


@handler(accept=True)
def provider_usages(req: Request) -> Response:
    """GET /resource_providers/{uuid}/usages -> 200."""
    req.context.can("placement:resource_providers:usages")
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        rp = get_or_404(conn, uuid, f": No resource provider with uuid {uuid} found")
        used = {name: inv.used for name, inv in inventories.of_provider(conn, rp).items()}
    return json_reply(req, {"resource_provider_generation": rp.generation, "usages": used})


@handler("1.9", accept=True)
def total_usages(req: Request) -> Response:
    """GET /usages?project_id=&user_id=[&consumer_type=] -> 200."""
    project_id = req.query.get("project_id")
    req.context.can("placement:usages", {"project_id": project_id} if project_id else {})
    by_type = want(req, "1.38")
    query = validate_query(req, schema.USAGES_V1_38 if by_type else schema.USAGES_V1_9)
    body: dict[str, int] | dict[str, dict[str, int]]
    with placement(req).db.reader() as conn:
        if by_type:
            body = usages.by_consumer_type(conn, query["project_id"], query.get("user_id"),
                                           query.get("consumer_type"))
        else:
            body = usages.totals(conn, query["project_id"], query.get("user_id"))
    return json_reply(req, {"usages": body})
