"""Errors of the identity service, each with the status Keystone answers with.

They subclass the common API errors, so the dispatcher renders them in
Keystone's ``{"error": {"code", "message", "title"}}`` without a translation
table; the data layer raises them without knowing about HTTP otherwise.
"""

from __future__ import annotations

from nimbus.common.api import errors


class NotFound(errors.NotFound):
    def __init__(self, kind: str, ident: str):
        self.kind = kind
        self.ident = ident
        super().__init__(f"Could not find {kind}: {ident}.")


class Conflict(errors.Conflict):
    def __init__(self, kind: str, details: str):
        super().__init__(f"Conflict occurred attempting to store {kind} - {details}.")


class ValidationError(errors.BadRequest):
    pass


class Forbidden(errors.Forbidden):
    pass


class AuthFailed(errors.Unauthorized):
    """Authentication failed. The message never says which part was wrong."""

    def __init__(self) -> None:
        super().__init__("The request you have made requires authentication.")


class TokenNotFound(NotFound):
    def __init__(self, token: str = "") -> None:
        # Never echo the token itself.
        errors.NotFound.__init__(self, "Failed to validate token")
        self.kind, self.ident = "token", ""


class AssignmentNotFound(errors.NotFound):
    def __init__(self, role_id: str, actor_id: str, target_id: str):
        super().__init__(
            f"Could not find role assignment with role: {role_id}, user or "
            f"group: {actor_id}, project, domain, or system: {target_id}."
        )
