"""Reaching into a guest: its console output and remote consoles, its admin
password, the password its metadata service keeps, its diagnostics and its
addresses."""

from __future__ import annotations

from nimbus.compute.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    rule,
)

_SERVER = "/servers/{server_id}"

RULES = [
    rule("os-console-output", PROJECT_MEMBER_OR_ADMIN, "Show the console output of a server.",
         [("POST", _SERVER + "/action (os-getConsoleOutput)")]),
    rule("os-admin-password", PROJECT_MEMBER_OR_ADMIN,
         "Change the administrative password of a server.",
         [("POST", _SERVER + "/action (changePassword)")]),
    rule("os-remote-consoles", PROJECT_MEMBER_OR_ADMIN,
         "Open a remote console (VNC, SPICE, serial, MKS) of a server (2.6).",
         [("POST", _SERVER + "/remote-consoles")]),
    rule("os-server-password:show", PROJECT_READER_OR_ADMIN,
         "Show the encrypted password a server posted to the metadata service.",
         [("GET", _SERVER + "/os-server-password")]),
    rule("os-server-password:clear", PROJECT_MEMBER_OR_ADMIN,
         "Clear the encrypted password of a server (the guest's password stays).",
         [("DELETE", _SERVER + "/os-server-password")]),
    rule("os-server-diagnostics", ADMIN, "Show the diagnostics of a server.",
         [("GET", _SERVER + "/diagnostics")]),
    rule("ips:index", PROJECT_READER_OR_ADMIN, "List the addresses of a server.",
         [("GET", _SERVER + "/ips")]),
    rule("ips:show", PROJECT_READER_OR_ADMIN,
         "List the addresses of a server on one network.",
         [("GET", _SERVER + "/ips/{network_label}")]),
]
