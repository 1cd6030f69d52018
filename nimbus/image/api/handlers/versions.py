"""Version discovery: Glance lists every v2 minor version, newest CURRENT."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response, public

# Newest first, as Glance lists them; each minor added something (see
# docs/support-matrix.md for what Nimbus implements of each).
MINOR_VERSIONS = [18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
CURRENT = "2.18"


def _versions(req: Request) -> dict[str, object]:
    href = req.url("/v2/")
    return {"versions": [
        {"id": f"v2.{minor}", "status": "CURRENT" if minor == MINOR_VERSIONS[0] else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for minor in MINOR_VERSIONS
    ]}


@public
def multiple_choices(req: Request) -> Response:
    return json_response(_versions(req), status=300)


@public
def list_versions(req: Request) -> Response:
    return json_response(_versions(req))
