"""Key pairs."""

from __future__ import annotations

from nimbus.compute.policies.base import (
    ADMIN_OR_KEYPAIR_OWNER,
    rule,
)

_KEYPAIR = "/os-keypairs/{keypair_name}"

RULES = [
    rule("os-keypairs:index", ADMIN_OR_KEYPAIR_OWNER, "List a user's key pairs.",
          [("GET", "/os-keypairs")]),
    rule("os-keypairs:create", ADMIN_OR_KEYPAIR_OWNER, "Create or import a key pair.",
          [("POST", "/os-keypairs")]),
    rule("os-keypairs:delete", ADMIN_OR_KEYPAIR_OWNER, "Delete a key pair.",
          [("DELETE", _KEYPAIR)]),
    rule("os-keypairs:show", ADMIN_OR_KEYPAIR_OWNER, "Show a key pair.", [("GET", _KEYPAIR)]),
]
