"""Server actions that make images of a server: createImage (a snapshot) and
createBackup (a snapshot kept among the newest `rotation` of its type)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import image_actions as schema
from nimbus.compute.ops import snapshot


def _metadata(req: Request, body: dict[str, Any], project_id: str) -> dict[str, str]:
    metadata = dict(body.get("metadata") or {})
    if not since(req, "2.39"):  # from 2.39 the image service alone limits them
        snapshot.check_metadata_quota(compute(req), project_id, len(metadata))
    return metadata


def create_image(req: Request) -> Response:
    """createImage -> 202: before 2.45 with the image's URL (in the image
    service) as Location, from 2.45 with {"image_id"}."""
    body = common.body(req, schema.CREATE_IMAGE)["createImage"]
    found = find(req)
    req.context.can("os_compute_api:servers:create_image",
                    {"project_id": found.server.project_id})
    metadata = _metadata(req, body, req.context.project_id or "")
    image = snapshot.snapshot(compute(req), req.context, found, body["name"], metadata)
    if since(req, "2.45"):
        return json_response({"image_id": image["id"]}, 202)
    location = f"{compute(req).images.endpoint}/images/{image['id']}"
    return empty_response(202, headers={"Location": location})


def create_backup(req: Request) -> Response:
    """createBackup -> 202: before 2.45 with the image's compute URL as
    Location (unless rotation is 0), from 2.45 with {"image_id"}."""
    body = common.body(req, schema.CREATE_BACKUP)["createBackup"]
    found = find(req)
    req.context.can("os_compute_api:os-create-backup", {"project_id": found.server.project_id})
    metadata = _metadata(req, body, req.context.project_id or "")
    rotation = int(body["rotation"])
    image = snapshot.backup(compute(req), req.context, found, body["name"],
                            body["backup_type"], rotation, metadata)
    if since(req, "2.45"):
        return json_response({"image_id": image["id"]}, 202)
    headers = {"Location": req.url(f"/v2.1/images/{image['id']}")} if rotation > 0 else {}
    return empty_response(202, headers=headers)


ACTIONS = {"createImage": create_image, "createBackup": create_backup}
