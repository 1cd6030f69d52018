"""GET / and GET /v2.1/: the version documents."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response, public
from nimbus.compute import versions

_DOCS = "http://docs.openstack.org/"
# The dates Nova reports for each major version.
_UPDATED = {"v2.0": "2025-07-04T12:00:00Z", "v2.1": "2013-07-23T11:33:21Z"}


def _versions(req: Request) -> list[dict[str, Any]]:
    return [
        {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "",
         "updated": _UPDATED["v2.0"], "links": [{"rel": "self", "href": req.url("/v2/")}]},
        {"id": "v2.1", "status": "CURRENT", "version": versions.VERSIONS[-1],
         "min_version": versions.VERSIONS[0], "updated": _UPDATED["v2.1"],
         "links": [{"rel": "self", "href": req.url("/v2.1/")}]},
    ]


@public
def list_versions(req: Request) -> Response:
    """GET / -> 200, every major version."""
    return json_response({"versions": _versions(req)})


@public
def show_version(req: Request) -> Response:
    """GET /v2.1/ -> 200, the v2.1 document with its microversion range."""
    doc = _versions(req)[1]
    doc["links"].append({"rel": "describedby", "type": "text/html", "href": _DOCS})
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return json_response({"version": doc})
