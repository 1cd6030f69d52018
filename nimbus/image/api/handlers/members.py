"""/v2/images/{image_id}/members: share an image with other projects.

Only shared images have members. The owner adds and removes them; a member
accepts or rejects (or leaves pending) the image, and sees it in its
listings once accepted. A member sees only its own membership; the owner
sees all of them.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.db.engine import DuplicateEntry
from nimbus.image import quotas
from nimbus.image.api import common, views
from nimbus.image.db import images as db

STATUSES = ("pending", "accepted", "rejected")


def _only_shared(image: dict[str, Any], hide: bool = False) -> None:
    if image["visibility"] != "shared":
        message = "Only shared images have members."
        raise errors.NotFound(message) if hide else errors.Forbidden(message)


def _visible_members(req: Request, conn: Any, image: dict[str, Any]) -> list[dict[str, Any]]:
    """The memberships the caller may see: all for the owner and admins,
    else only its own."""
    if common.is_admin(req) or image["owner"] == req.context.project_id:
        return db.list_members(conn, image["id"])
    if req.context.project_id is None:
        return []
    return db.list_members(conn, image["id"], only=req.context.project_id)


def _lookup(req: Request, conn: Any, image: dict[str, Any], member_id: str) -> dict[str, Any]:
    found = [m for m in _visible_members(req, conn, image) if m["member"] == member_id]
    if not found:
        raise errors.NotFound(f"{member_id} not found in the member list of the image "
                              f"{image['id']}.")
    return found[0]


def _check(req: Request, rule: str, image: dict[str, Any], message: str) -> None:
    target = common.policy_target(req, image)
    if req.context.allowed(rule, target):
        return
    if not req.context.allowed("get_image", target):
        raise common.not_found(image["id"])
    raise errors.Forbidden(message)


def list_members(req: Request) -> Response:
    """GET /v2/images/{image_id}/members: 200."""
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.reader() as conn:
        image = common.load_image(conn, req, image_id)
        _only_shared(image)
        _check(req, "get_members", image,
               f"Not allowed to list members for image {image_id}.")
        members = _visible_members(req, conn, image)
    return json_response({"members": [views.member_view(m) for m in members],
                          "schema": "/v2/schemas/members"})


def show_member(req: Request) -> Response:
    """GET /v2/images/{image_id}/members/{member_id}: 200 (404 for anything
    the caller may not see)."""
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.reader() as conn:
        image = common.load_image(conn, req, image_id)
        _only_shared(image, hide=True)
        target = common.policy_target(req, image)
        if not req.context.allowed("get_member", target):
            raise errors.NotFound(f"You are not authorized to lookup the members of the "
                                  f"image {image_id}.")
        member = _lookup(req, conn, image, req.path_params["member_id"])
    return json_response(views.member_view(member))


def create_member(req: Request) -> Response:
    """POST /v2/images/{image_id}/members {"member": project}: 200."""
    body = common.require_json(req)
    if not isinstance(body, dict):
        raise errors.BadRequest('Expected a member in the form: {"member": "image_id"}')
    if "member" not in body:
        raise errors.BadRequest("Member to be added not specified")
    member_id = body["member"]
    if not member_id:
        raise errors.BadRequest("Member can't be empty")
    if not isinstance(member_id, str) or len(member_id) > 255:
        raise errors.BadRequest(f"Invalid member: {member_id!r}")
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        _only_shared(image)
        _check(req, "add_member", image, f"Not allowed to create members for image {image_id}.")
        if db.get_member(conn, image_id, member_id) is not None:
            raise errors.Conflict(f"Member {member_id} is duplicated for image {image_id}")
        quotas.check_members(service.conf, image_id, db.count_members(conn, image_id) + 1)
        try:
            member = db.add_member(conn, image_id, member_id)
        except DuplicateEntry:
            raise errors.Conflict(
                f"Member {member_id} is duplicated for image {image_id}") from None
    return json_response(views.member_view(member))


def update_member(req: Request) -> Response:
    """PUT /v2/images/{image_id}/members/{member_id} {"status": ...}: 200."""
    body = common.require_json(req)
    if not isinstance(body, dict):
        raise errors.BadRequest('Expected a status in the form: {"status": "status"}')
    if "status" not in body:
        raise errors.BadRequest("Status not specified")
    status = body["status"]
    service = common.image_service(req)
    image_id, member_id = req.path_params["image_id"], req.path_params["member_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        _only_shared(image)
        member = _lookup(req, conn, image, member_id)
        _check(req, "modify_member", image,
               f"Not allowed to update members for image {image_id}.")
        if status not in STATUSES:
            raise errors.BadRequest(f"Incorrect request: Status must be one of "
                                    f"{', '.join(STATUSES)}, not {status!r}")
        db.update_member(conn, image_id, member_id, status)
        member = db.get_member(conn, image_id, member_id) or member
    return json_response(views.member_view(member))


def delete_member(req: Request) -> Response:
    """DELETE /v2/images/{image_id}/members/{member_id}: 204."""
    service = common.image_service(req)
    image_id, member_id = req.path_params["image_id"], req.path_params["member_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        _only_shared(image)
        _lookup(req, conn, image, member_id)
        _check(req, "delete_member", image,
               f"Not allowed to delete members for image {image_id}.")
        db.delete_member(conn, image_id, member_id)
    return empty_response(204)
