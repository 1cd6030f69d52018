"""The rebuild server action: a new (or the same) image and new attributes, on the same host."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find, render_one
from nimbus.compute.api.schemas import image_actions as schema
from nimbus.compute.api.schemas.common import to_bool
from nimbus.compute.ops import boot, lookup
from nimbus.compute.ops import rebuild as rebuild_ops

POLICY = "os_compute_api:servers:"

# Body key -> instance column, for what a rebuild may set as given.
_COLUMNS = {"name": "display_name", "description": "display_description",
            "metadata": "metadata", "accessIPv4": "access_ip_v4",
            "accessIPv6": "access_ip_v6", "user_data": "user_data", "hostname": "hostname"}


def _request(req: Request, body: dict[str, Any]) -> rebuild_ops.RebuildRequest:
    disk_config = body.get("OS-DCF:diskConfig")
    return rebuild_ops.RebuildRequest(
        image_ref=body["imageRef"],
        admin_password=body["adminPass"] if "adminPass" in body else boot.generate_password(),
        values={column: body[key] for key, column in _COLUMNS.items() if key in body},
        auto_disk_config=None if disk_config is None else disk_config == "AUTO",
        preserve_ephemeral=to_bool(body.get("preserve_ephemeral", False)),
        injected_files=boot.decode_personality(body.get("personality", [])),
        set_key=since(req, "2.54") and "key_name" in body, key_name=body.get("key_name"),
        set_trusted_certs=since(req, "2.63") and "trusted_image_certificates" in body,
        trusted_certs=body.get("trusted_image_certificates"))


def rebuild(req: Request) -> Response:
    """rebuild -> 202 with the server (before 2.75 the reduced body of an
    update), its adminPass, and a Location header."""
    body = common.body(req, schema.rebuild_schema(lambda v: since(req, v)))["rebuild"]
    found = find(req)
    target = {"project_id": found.server.project_id, "user_id": found.server.user_id}
    req.context.can(POLICY + "rebuild", target)
    request = _request(req, body)
    if request.set_trusted_certs:
        req.context.can(POLICY + "rebuild:trusted_certs", target)
    record = rebuild_ops.rebuild(compute(req), req.context, found, request,
                                 common.is_admin(req))
    full = since(req, "2.75")
    server = render_one(req, lookup.Found(record, found.cell), reduced=not full)
    if full:
        # The rebuild answer carries user_data under its own name (below).
        server.pop("OS-EXT-SRV-ATTR:user_data", None)
    elif since(req, "2.54"):
        server["key_name"] = record.key_name
    if since(req, "2.57"):
        server["user_data"] = record.user_data
    if compute(req).conf.compute.enable_instance_password:
        server["adminPass"] = request.admin_password
    return json_response({"server": server}, 202,
                         headers={"Location": server["links"][0]["href"]})


ACTIONS = {"rebuild": rebuild}
