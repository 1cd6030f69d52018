"""Server metadata and server tags."""

from __future__ import annotations

from nimbus.compute.policies.base import PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, rule

_META = "/servers/{server_id}/metadata"
_TAGS = "/servers/{server_id}/tags"

RULES = [
    rule("server-metadata:index", PROJECT_READER_OR_ADMIN, "List a server's metadata.",
         [("GET", _META)]),
    rule("server-metadata:show", PROJECT_READER_OR_ADMIN, "Show one metadata item.",
         [("GET", _META + "/{key}")]),
    rule("server-metadata:create", PROJECT_MEMBER_OR_ADMIN,
         "Add or change metadata items of a server.", [("POST", _META)]),
    rule("server-metadata:update_all", PROJECT_MEMBER_OR_ADMIN,
         "Replace all the metadata of a server.", [("PUT", _META)]),
    rule("server-metadata:update", PROJECT_MEMBER_OR_ADMIN, "Set one metadata item.",
         [("PUT", _META + "/{key}")]),
    rule("server-metadata:delete", PROJECT_MEMBER_OR_ADMIN, "Delete one metadata item.",
         [("DELETE", _META + "/{key}")]),
    rule("os-server-tags:index", PROJECT_READER_OR_ADMIN, "List a server's tags (2.26).",
         [("GET", _TAGS)]),
    rule("os-server-tags:show", PROJECT_READER_OR_ADMIN,
         "Check whether a server has a tag (2.26).", [("GET", _TAGS + "/{tag}")]),
    rule("os-server-tags:update_all", PROJECT_MEMBER_OR_ADMIN,
         "Replace all the tags of a server (2.26).", [("PUT", _TAGS)]),
    rule("os-server-tags:update", PROJECT_MEMBER_OR_ADMIN, "Add one tag to a server (2.26).",
         [("PUT", _TAGS + "/{tag}")]),
    rule("os-server-tags:delete_all", PROJECT_MEMBER_OR_ADMIN,
         "Delete all the tags of a server (2.26).", [("DELETE", _TAGS)]),
    rule("os-server-tags:delete", PROJECT_MEMBER_OR_ADMIN,
         "Delete one tag of a server (2.26).", [("DELETE", _TAGS + "/{tag}")]),
]
