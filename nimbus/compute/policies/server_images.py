"""Server actions that rebuild a server from an image or make images of it."""

from __future__ import annotations

from nimbus.compute.policies.base import PROJECT_MEMBER_OR_ADMIN, rule

_ACTION = "/servers/{server_id}/action"

RULES = [
    rule("servers:rebuild", PROJECT_MEMBER_OR_ADMIN, "Rebuild a server.",
         [("POST", _ACTION + " (rebuild)")]),
    rule("servers:rebuild:trusted_certs", PROJECT_MEMBER_OR_ADMIN,
         "Rebuild a server with trusted image certificate ids (2.63).",
         [("POST", _ACTION + " (rebuild)")]),
    rule("servers:create_image", PROJECT_MEMBER_OR_ADMIN, "Create an image of a server.",
         [("POST", _ACTION + " (createImage)")]),
    rule("servers:create_image:allow_volume_backed", PROJECT_MEMBER_OR_ADMIN,
         "Create an image of a volume-backed server.",
         [("POST", _ACTION + " (createImage)")]),
    rule("os-create-backup", PROJECT_MEMBER_OR_ADMIN, "Create a back up of a server.",
         [("POST", _ACTION + " (createBackup)")]),
]
