"""noauth2: authentication for tests and standalone use (placement, image).

As upstream Placement's no-auth middleware: X-Auth-Token ``user`` or ``user:project``
names the caller (the project defaults to the user, X-Project-Id overrides
it); the user ``admin`` has the admin role unless X-Roles lists the roles;
OpenStack-System-Scope makes the request system-scoped. Nothing is verified.
"""

from __future__ import annotations

from collections.abc import Mapping

from nimbus.common.context import AuthInfo


class NoAuth:
    """An Authenticator that believes the token."""

    def authenticate(self, token: str, headers: Mapping[str, str] | None = None) -> AuthInfo:
        user_id, _sep, token_project = token.partition(":")
        headers = headers or {}
        if "x-roles" in headers:
            roles = tuple(r.strip() for r in headers["x-roles"].split(",") if r.strip())
        elif user_id == "admin":
            roles = ("admin",)
        else:
            roles = ()
        system = headers.get("openstack-system-scope")
        # As with oslo.context, an explicit X-Project-Id wins over the token's.
        project_id = headers.get("x-project-id") or (None if system else token_project or user_id)
        return AuthInfo(
            user_id=user_id, user_name=user_id, user_domain_id="default",
            user_domain_name="Default", roles=roles,
            project_id=project_id,
            project_domain_id="default" if project_id else None,
            system_scope=system or None,
        )
