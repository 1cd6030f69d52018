"""What a server tells about itself: its diagnostics (admin; the standard body
from 2.48), the encrypted password its metadata service keeps, and its
addresses by network (from its network info cache)."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.views import diagnostics as views
from nimbus.compute.api.views.servers import addresses
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions, server_items


def _strict_query(req: Request) -> None:
    common.check_query(req, (), since(req, "2.102"))


@handler()
def show_diagnostics(req: Request) -> Response:
    """GET /servers/{server_id}/diagnostics -> 200 (409 unless running)."""
    _strict_query(req)
    found = find(req)
    req.context.can("os_compute_api:os-server-diagnostics",
                    {"project_id": found.server.project_id})
    host = actions.check_host(found)
    assert found.cell is not None
    try:
        diagnostics = compute(req).compute_api(found.cell).get_instance_diagnostics(
            req.context, host, to_object(found.server))
    except exc.NotSupported as err:
        raise errors.NotImplementedYet(str(err)) from None
    if since(req, "2.48"):
        return json_response(views.standard(diagnostics))
    return json_response(views.legacy(diagnostics))


@handler()
def show_password(req: Request) -> Response:
    """GET /servers/{server_id}/os-server-password -> 200 ("" when none)."""
    _strict_query(req)
    found = find(req)
    req.context.can("os_compute_api:os-server-password:show",
                    {"project_id": found.server.project_id})
    return json_response({"password": server_items.password(found)})


@handler()
def clear_password(req: Request) -> Response:
    """DELETE /servers/{server_id}/os-server-password -> 204."""
    found = find(req)
    req.context.can("os_compute_api:os-server-password:clear",
                    {"project_id": found.server.project_id})
    server_items.set_password(compute(req), found, "")
    return empty_response(204)


@handler()
def list_ips(req: Request) -> Response:
    """GET /servers/{server_id}/ips -> 200: network label -> addresses."""
    _strict_query(req)
    found = find(req)
    req.context.can("os_compute_api:ips:index", {"project_id": found.server.project_id})
    return json_response({"addresses": addresses(found.server.network_info, extended=False)})


@handler()
def show_ips(req: Request) -> Response:
    """GET /servers/{server_id}/ips/{network_label} -> 200."""
    _strict_query(req)
    found = find(req)
    req.context.can("os_compute_api:ips:show", {"project_id": found.server.project_id})
    label = req.path_params["network_label"]
    networks = addresses(found.server.network_info, extended=False)
    if label not in networks:
        raise errors.NotFound("Instance is not a member of specified network")
    return json_response({label: networks[label]})
