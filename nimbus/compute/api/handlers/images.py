"""/images: the compute API's image proxy (list, detail, show, delete), served
until 2.35 as Nova serves it; from 2.36 these paths are 404."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler
from nimbus.compute.api.views.images import ImageViews
from nimbus.compute.ops import image_proxy

MAX_VERSION = "2.35"  # Nova's MAX_PROXY_API_SUPPORT_VERSION


def views(req: Request) -> ImageViews:
    return ImageViews(req, compute(req).images.endpoint)


def _limit(req: Request) -> int:
    maximum = compute(req).max_limit
    raw = req.query.get("limit")
    if raw is None:
        return maximum
    if not raw.isdigit():
        raise errors.BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                                f"'{raw}' does not match '^[0-9]*$'")
    return min(int(raw), maximum) or maximum


def _list(req: Request, detail: bool) -> Response:
    limit = _limit(req)
    found = image_proxy.list_images(compute(req), req.context, req.query, limit,
                                    req.query.get("marker"))
    render = views(req)
    body: dict[str, Any] = {"images": [render.detail(i) if detail else render.brief(i)
                                       for i in found]}
    if found and len(found) == limit:
        path = "images/detail" if detail else "images"
        query = "&".join([f"limit={limit}", f"marker={found[-1]['id']}"])
        body["images_links"] = [{"rel": "next",
                                 "href": f"{common.api_root(req)}/{path}?{query}"}]
    return json_response(body)


@handler(max_version=MAX_VERSION)
def list_images(req: Request) -> Response:
    """GET /images -> 200 (until 2.35)."""
    return _list(req, detail=False)


@handler(max_version=MAX_VERSION)
def list_images_detail(req: Request) -> Response:
    """GET /images/detail -> 200 (until 2.35)."""
    return _list(req, detail=True)


@handler(max_version=MAX_VERSION)
def show_image(req: Request) -> Response:
    """GET /images/{image_id} -> 200 (until 2.35)."""
    try:
        image = image_proxy.show(compute(req), req.context, req.path_params["image_id"])
    except exc.ImageNotFound:
        raise errors.NotFound("Image not found.") from None
    return json_response({"image": views(req).detail(image)})


@handler()
def delete_blank_image(req: Request) -> Response:
    """DELETE /images/ (a blank id) -> 404.

    NOTE: Nova's router matches the method with the path, so a blank id
    finds no route there (404) where a method-aware router would say 405;
    Tempest's test_delete_image_blank_id checks for 404.
    """
    raise errors.NotFound("Image not found.")


@handler(max_version=MAX_VERSION)
def delete_image(req: Request) -> Response:
    """DELETE /images/{image_id} -> 204 (until 2.35)."""
    try:
        image_proxy.delete(compute(req), req.context, req.path_params["image_id"])
    except exc.ImageNotFound:
        raise errors.NotFound("Image not found.") from None
    except exc.ImageNotAuthorized:
        raise errors.Forbidden("You are not allowed to delete the image.") from None
    return empty_response(204)
