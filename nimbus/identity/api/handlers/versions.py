"""Version discovery: the identity root (300) and /v3 (200)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response, public

VERSION_ID = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"
MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


def _v3(req: Request) -> dict[str, Any]:
    return {
        "id": VERSION_ID,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": req.url("/v3/")}],
        "media-types": [{"base": "application/json", "type": MEDIA_TYPE}],
    }


@public
def list_versions(req: Request) -> Response:
    """GET / -> 300 Multiple Choices, with the preferred version in Location."""
    return json_response({"versions": {"values": [_v3(req)]}}, 300,
                         headers={"Location": req.url("/v3/")})


@public
def show_v3(req: Request) -> Response:
    """GET /v3 -> 200."""
    return json_response({"version": _v3(req)})
