"""External events other services (networking, block storage) send about servers."""

from __future__ import annotations

from nimbus.compute.policies.base import rule

# Nova's SERVICE_ROLE: the service role, or an admin while deployments still
# give their service users only that.
SERVICE_OR_ADMIN = "rule:service_or_admin"

RULES = [
    rule("os-server-external-events:create", SERVICE_OR_ADMIN,
         "Send one or more external events to the hosts of their servers.",
         [("POST", "/os-server-external-events")]),
]
