"""GET /: the version document."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, public
from nimbus.placement import versions
from nimbus.placement.api.util import json_reply


@public
def home(req: Request) -> Response:
    """GET / -> 200, the microversion range."""
    return json_reply(req, {"versions": [{
        "id": f"v{versions.VERSIONS[0]}",
        "max_version": versions.VERSIONS[-1],
        "min_version": versions.VERSIONS[0],
        "status": "CURRENT",
        # Relative, as upstream: "this same URL".
        "links": [{"rel": "self", "href": ""}],
    }]})
