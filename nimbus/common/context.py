"""The request context: who is asking, in which scope, for which request."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nimbus.common.policy import Policy


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """What a validated token says. Produced by a token validator."""

    user_id: str
    user_name: str
    user_domain_id: str
    user_domain_name: str
    roles: tuple[str, ...] = ()
    role_ids: tuple[str, ...] = ()
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    project_domain_name: str | None = None
    domain_id: str | None = None
    domain_name: str | None = None
    system_scope: str | None = None  # "all" for system-scoped tokens
    application_credential_id: str | None = None
    methods: tuple[str, ...] = ()
    audit_ids: tuple[str, ...] = ()
    expires_at: datetime.datetime | None = None
    issued_at: datetime.datetime | None = None
    is_admin_project: bool = True


@dataclass(slots=True)
class RequestContext:
    """Per-request state handed to handlers and to policy."""

    request_id: str
    global_request_id: str | None = None
    auth: AuthInfo | None = None
    auth_token: str | None = None
    is_admin: bool = False  # set only for internal callers, never from a token
    policy: Policy | None = field(default=None, repr=False)

    @property
    def user_id(self) -> str | None:
        return self.auth.user_id if self.auth else None

    @property
    def project_id(self) -> str | None:
        return self.auth.project_id if self.auth else None

    @property
    def domain_id(self) -> str | None:
        return self.auth.domain_id if self.auth else None

    @property
    def system_scope(self) -> str | None:
        return self.auth.system_scope if self.auth else None

    @property
    def roles(self) -> tuple[str, ...]:
        return self.auth.roles if self.auth else ()

    def credentials(self) -> dict[str, Any]:
        """The dict oslo.policy checks rules against."""
        auth = self.auth
        if auth is None:
            return {"is_admin": self.is_admin, "roles": [], "system_scope": None}
        return {
            "user_id": auth.user_id,
            "user_domain_id": auth.user_domain_id,
            "project_id": auth.project_id,
            "project_domain_id": auth.project_domain_id,
            "domain_id": auth.domain_id,
            "system_scope": auth.system_scope,
            "roles": list(auth.roles),
            "is_admin": self.is_admin,
            "is_admin_project": auth.is_admin_project,
            # Keystone's rules look into the token: token.project.domain.id
            # and the like, which oslo.policy finds by walking nested dicts.
            "token": {
                "user": {"id": auth.user_id, "domain": {"id": auth.user_domain_id}},
                "project": {"id": auth.project_id, "domain": {"id": auth.project_domain_id}},
                "domain": {"id": auth.domain_id},
            },
        }

    def can(self, rule: str, target: dict[str, Any] | None = None) -> None:
        """Raise Forbidden unless policy allows `rule` on `target`."""
        assert self.policy is not None, "context has no policy enforcer"
        self.policy.authorize(rule, target or {}, self)

    def allowed(self, rule: str, target: dict[str, Any] | None = None) -> bool:
        assert self.policy is not None, "context has no policy enforcer"
        return self.policy.check(rule, target or {}, self)
