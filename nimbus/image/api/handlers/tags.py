"""/v2/images/{image_id}/tags/{tag}: add and remove one tag."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response
from nimbus.image import quotas
from nimbus.image.api import common
from nimbus.image.db import images as db


def add_tag(req: Request) -> Response:
    """PUT /v2/images/{image_id}/tags/{tag}: 204 (also when already there)."""
    service = common.image_service(req)
    image_id, tag = req.path_params["image_id"], req.path_params["tag"]
    if len(tag) > 255:
        raise errors.BadRequest(f"Provided object does not match schema 'image': "
                                f"tag {tag!r} is longer than 255 characters")
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "modify_image", image)
        if tag not in image["tags"]:
            try:
                quotas.check_tags(service.conf, len(image["tags"]) + 1)
            except errors.PayloadTooLarge as exc:
                raise errors.PayloadTooLarge(
                    f"Image tag limit exceeded for image {image_id}: {exc.message}:") from None
            db.add_tag(conn, image_id, tag)
            db.update(conn, image_id)
    return empty_response(204)


def delete_tag(req: Request) -> Response:
    """DELETE /v2/images/{image_id}/tags/{tag}: 204, 404 if the image has no such tag."""
    service = common.image_service(req)
    image_id, tag = req.path_params["image_id"], req.path_params["tag"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "modify_image", image)
        if not db.delete_tag(conn, image_id, tag):
            raise errors.NotFound(f"Tag {tag} not found")
        db.update(conn, image_id)
    return empty_response(204)
