"""POST /os-server-external-events: what networking and block storage tell
compute about its servers (ports plugged, volumes extended, power changed
out of band). A service API: the service role or an admin."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas import server_external_events as schema
from nimbus.compute.ops import external_events


@handler()
def create_events(req: Request) -> Response:
    """POST /os-server-external-events -> 200, or 207 when some event failed."""
    req.context.can("os_compute_api:os-server-external-events:create", {})
    chosen = (schema.EVENTS_V2_93 if since(req, "2.93") else
              schema.EVENTS_V2_82 if since(req, "2.82") else
              schema.EVENTS_V2_76 if since(req, "2.76") else
              schema.EVENTS_V2_51 if since(req, "2.51") else schema.EVENTS_V2_1)
    events = common.body(req, chosen)["events"]
    answered, status = external_events.dispatch(compute(req), req.context, events)
    return json_response({"events": answered}, status)
