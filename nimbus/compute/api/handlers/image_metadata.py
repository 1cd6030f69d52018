"""/images/{image_id}/metadata: an image's properties through the compute
API, served until 2.38 as Nova serves them; from 2.39 these paths are 404."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler
from nimbus.compute.api.schemas.servers import METADATA
from nimbus.compute.objects.image import image_properties
from nimbus.compute.ops import image_proxy

MAX_VERSION = "2.38"

METADATA_BODY = {"type": "object", "properties": {"metadata": METADATA},
                 "required": ["metadata"], "additionalProperties": False}
META_BODY = {"type": "object",
             "properties": {"meta": {**METADATA, "minProperties": 1, "maxProperties": 1}},
             "required": ["meta"], "additionalProperties": False}


def _image(req: Request) -> dict[str, Any]:
    try:
        return image_proxy.show(compute(req), req.context, req.path_params["image_id"])
    except exc.ImageNotFound:
        raise errors.NotFound("Image not found.") from None


@handler(max_version=MAX_VERSION)
def list_metadata(req: Request) -> Response:
    """GET /images/{image_id}/metadata -> 200 (until 2.38)."""
    return json_response({"metadata": image_properties(_image(req))})


@handler(max_version=MAX_VERSION)
def show_metadata_item(req: Request) -> Response:
    """GET /images/{image_id}/metadata/{key} -> 200 (until 2.38)."""
    key = req.path_params["key"]
    found = image_properties(_image(req))
    if key not in found:
        raise errors.NotFound()
    return json_response({"meta": {key: found[key]}})


@handler(max_version=MAX_VERSION)
def create_metadata(req: Request) -> Response:
    """POST /images/{image_id}/metadata -> 200: the given keys set, the rest kept."""
    wanted = common.body(req, METADATA_BODY)["metadata"]
    image = _image(req)
    found = image_proxy.update_properties(compute(req), req.context, image, wanted, False)
    return json_response({"metadata": found})


@handler(max_version=MAX_VERSION)
def replace_metadata(req: Request) -> Response:
    """PUT /images/{image_id}/metadata -> 200: the image's properties become these."""
    wanted = common.body(req, METADATA_BODY)["metadata"]
    image = _image(req)
    image_proxy.update_properties(compute(req), req.context, image, wanted, True)
    return json_response({"metadata": wanted})


@handler(max_version=MAX_VERSION)
def update_metadata_item(req: Request) -> Response:
    """PUT /images/{image_id}/metadata/{key} -> 200."""
    meta = common.body(req, META_BODY)["meta"]
    key = req.path_params["key"]
    if key not in meta:
        raise errors.BadRequest("Request body and URI mismatch")
    image = _image(req)
    image_proxy.update_properties(compute(req), req.context, image, meta, False)
    return json_response({"meta": meta})


@handler(max_version=MAX_VERSION)
def delete_metadata_item(req: Request) -> Response:
    """DELETE /images/{image_id}/metadata/{key} -> 204."""
    image = _image(req)
    image_proxy.delete_property(compute(req), req.context, image, req.path_params["key"])
    return empty_response(204)
