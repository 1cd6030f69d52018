"""Helpers every image handler shares: the service, media types, loading an
image the caller may see, policy targets."""

from __future__ import annotations

from typing import Any

import orjson

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.image.db import images as db
from nimbus.image.service import Image

JSON = "application/json"
JSON_PATCH = "application/openstack-images-v2.1-json-patch"
PATCH_TYPES = ("application/openstack-images-v2.0-json-patch", JSON_PATCH)


def image_service(req: Request) -> Image:
    service: Image = req.state
    return service


def is_admin(req: Request) -> bool:
    """Glance's context.is_admin: the admin role (context_is_admin)."""
    return req.context.is_admin or "admin" in req.context.roles


def viewer(req: Request) -> db.Viewer:
    return db.Viewer(project_id=req.context.project_id, is_admin=is_admin(req))


def require_json(req: Request, patch: bool = False) -> Any:
    """The parsed JSON body (a dict or a list), or the error Glance gives.

    ``patch``: the body of an image PATCH, which must be declared as one of
    Glance's JSON-patch media types (415 with ``Accept-Patch`` otherwise).
    Else a body declared as anything but JSON is 415; an undeclared one is
    read as JSON, as Glance does.
    """
    media = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if patch:
        if media not in PATCH_TYPES:
            allowed = ", ".join(PATCH_TYPES)
            raise errors.UnsupportedMediaType(
                f"Image PATCH expects Content-Type one of: {allowed}",
                headers={"Accept-Patch": allowed})
    elif media and "json" not in media:
        raise errors.UnsupportedMediaType(
            f"Content type {media} is not supported; send {JSON}.")
    if not req.body:
        raise errors.BadRequest("Body expected in request.")
    try:
        body = orjson.loads(req.body)
    except orjson.JSONDecodeError:
        raise errors.BadRequest("Malformed JSON in request body.") from None
    if not isinstance(body, (dict, list)):
        raise errors.BadRequest("Unexpected body type. Expected list/dict.")
    return body


def not_found(image_id: str) -> errors.NotFound:
    return errors.NotFound(f"No image found with ID {image_id}")


def load_image(conn: Any, req: Request, image_id: str) -> dict[str, Any]:
    """The image as a dict (see nimbus.image.db.images), or 404 "No image
    found with ID <id>" when it is missing, deleted or not visible to the
    caller: another project's private image looks exactly like a missing one.

    The dict also carries ``member_status``: the caller's status as a member
    of the image, or None.
    """
    image = db.get(conn, image_id)
    if image is None:
        raise not_found(image_id)
    who = viewer(req)
    member = None
    if image["visibility"] == "shared" and image["owner"] != who.project_id:
        member = db.member_status(conn, image_id, who.project_id)
    if not db.is_visible(image, who, member):
        raise not_found(image_id)
    image["member_status"] = member
    return image


def policy_target(req: Request, image: dict[str, Any]) -> dict[str, Any]:
    """The target of an image policy check, as Glance's ImageTarget makes it:
    the image's attributes and custom properties, ``project_id`` as its
    owner, ``member_id`` as the caller's project when it is a member."""
    target: dict[str, Any] = dict(image.get("properties") or {})
    for key, value in image.items():
        if key not in ("properties", "locations", "member_status"):
            target[key] = value
    target["image_id"] = image.get("id")
    target["project_id"] = image.get("owner")
    member = image.get("member_status")
    target["member_id"] = req.context.project_id if member is not None else None
    target["member"] = target["member_id"]
    return target


def authorize(req: Request, rule: str, image: dict[str, Any]) -> None:
    """Check `rule` on an existing image as Glance does: a denial turns into
    404 when the caller may not even see the image (get_image), so that
    nothing about it leaks; else 403."""
    target = policy_target(req, image)
    if req.context.allowed(rule, target):
        return
    if rule == "get_image" or not req.context.allowed("get_image", target):
        raise not_found(image["id"])
    raise errors.Forbidden(f"You are not authorized to complete {rule} action.")
