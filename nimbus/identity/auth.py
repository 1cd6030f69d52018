"""Authentication (issuing tokens) and validation (reading them back).

Both end in a ``ValidatedToken``: the payload plus everything looked up
about it now (user, scope, roles, application credential), from which the
token body and the request context are rendered.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from nimbus.common.context import AuthInfo
from nimbus.common.db.types import utcnow
from nimbus.identity import exceptions as exc
from nimbus.identity.db import app_creds, assignments, catalog, resources, revocations, roles, users
from nimbus.identity.passwords import verify_password
from nimbus.identity.tokens import Payload, TokenCodec, format_time, new_audit_id


@dataclass(frozen=True)
class TokenSettings:
    expiration: int
    allow_expired_window: int
    allow_rescope_scoped_token: bool = True
    # A hash at the configured cost, checked when the user does not exist so
    # that a wrong name takes as long as a wrong password.
    decoy_hash: str | None = None


@dataclass(frozen=True)
class ValidatedToken:
    payload: Payload
    user: dict[str, Any]
    user_domain: dict[str, Any]
    roles: tuple[dict[str, str], ...] = ()
    project: dict[str, Any] | None = None
    project_domain: dict[str, Any] | None = None
    domain: dict[str, Any] | None = None
    application_credential: dict[str, Any] | None = None


# -- validation ----------------------------------------------------------------

def _enabled_user(conn: Connection, user_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = users.get_user(conn, user_id)
    domain = resources.get_domain(conn, user["domain_id"])
    if not user["enabled"] or not domain["enabled"]:
        raise exc.AuthFailed()
    return user, domain


def _scope_roles(
    conn: Connection, user_id: str, payload: Payload,
) -> tuple[tuple[dict[str, str], ...], dict[str, Any] | None, dict[str, Any] | None,
           dict[str, Any] | None, dict[str, Any] | None]:
    """(roles, project, project domain, domain, application credential) of a
    scope; AuthFailed when the scope is gone, disabled or holds no role."""
    project = project_domain = domain = app_cred = None
    if payload.project_id:
        project = resources.get_project(conn, payload.project_id, with_tags=False)
        project_domain = resources.get_domain(conn, project["domain_id"])
        if not project["enabled"] or not project_domain["enabled"]:
            raise exc.AuthFailed()
        held = assignments.effective_roles(conn, user_id, project=project)
    elif payload.domain_id:
        domain = resources.get_domain(conn, payload.domain_id)
        if not domain["enabled"]:
            raise exc.AuthFailed()
        held = assignments.effective_roles(conn, user_id, domain_id=domain["id"])
    elif payload.system:
        held = assignments.effective_roles(conn, user_id, system=True)
    else:
        return (), None, None, None, None
    role_ids = set(held)
    if payload.application_credential_id:
        app_cred = app_creds.get(conn, payload.application_credential_id, user_id)
        if app_cred["expires_at"] is not None and app_cred["expires_at"] <= utcnow():
            raise exc.AuthFailed()
        granted = {r["id"] for r in app_cred["roles"]}
        # The credential's roles, as far as the user still holds them, and
        # the roles those imply.
        role_ids = roles.expand_implied(granted & role_ids,
                                        roles.implication_pairs(conn)) & role_ids
    if not role_ids:
        raise exc.AuthFailed()
    rendered = tuple(sorted(({"id": held[r]["id"], "name": held[r]["name"]} for r in role_ids),
                            key=lambda r: r["name"]))
    return rendered, project, project_domain, domain, app_cred


def validate(
    conn: Connection, codec: TokenCodec, settings: TokenSettings, token: str,
    allow_expired: bool = False,
) -> ValidatedToken:
    """Everything a valid token stands for.

    :raises TokenNotFound: malformed, tampered, expired, revoked, or its user
        or scope no longer valid.
    """
    payload = codec.decode(token)
    now = utcnow()
    deadline = payload.expires_at
    if allow_expired:
        deadline += datetime.timedelta(seconds=settings.allow_expired_window)
    if now >= deadline:
        raise exc.TokenNotFound()
    try:
        user, user_domain = _enabled_user(conn, payload.user_id)
        role_refs, project, project_domain, domain, app_cred = _scope_roles(
            conn, user["id"], payload)
    except (exc.AuthFailed, exc.NotFound):
        raise exc.TokenNotFound() from None
    domain_ids = {user_domain["id"], project and project["domain_id"], payload.domain_id}
    if revocations.is_revoked(
        conn, issued_at=payload.issued_at, audit_ids=payload.audit_ids,
        user_id=payload.user_id, project_id=payload.project_id,
        domain_ids=[d for d in domain_ids if d],
        application_credential_id=payload.application_credential_id,
    ):
        raise exc.TokenNotFound()
    return ValidatedToken(payload, user, user_domain, role_refs, project, project_domain,
                          domain, app_cred)


# -- authentication ------------------------------------------------------------

def _find_domain(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    if ref.get("id"):
        return resources.get_domain(conn, ref["id"])
    if ref.get("name"):
        return resources.get_domain_by_name(conn, ref["name"])
    raise exc.ValidationError("A domain must be named by id or name.")


def _find_user(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    if ref.get("id"):
        return users.get_user(conn, ref["id"])
    if ref.get("name"):
        domain_ref = ref.get("domain")
        if not isinstance(domain_ref, Mapping):
            raise exc.ValidationError("A user named by name needs a domain.")
        domain = _find_domain(conn, domain_ref)
        return users.get_user_by_name(conn, ref["name"], domain["id"])
    raise exc.ValidationError("A user must be named by id or name.")


def _password_user(conn: Connection, settings: TokenSettings, method: Mapping[str, Any]) -> str:
    ref = method.get("user")
    if not isinstance(ref, Mapping) or not isinstance(ref.get("password"), str):
        raise exc.ValidationError("The password method needs a user with a password.")
    # Every failure looks the same to the caller, in body and in time: it
    # must not learn which part (user, domain, password, enabled) was wrong.
    try:
        user = _find_user(conn, ref)
    except exc.NotFound:
        verify_password(ref["password"], settings.decoy_hash)
        raise exc.AuthFailed() from None
    if not verify_password(ref["password"], users.password_hash(conn, user["id"])):
        raise exc.AuthFailed()
    _enabled_user(conn, user["id"])
    return str(user["id"])


def _app_cred(conn: Connection, method: Mapping[str, Any]) -> dict[str, Any]:
    secret = method.get("secret")
    if not isinstance(secret, str):
        raise exc.ValidationError("The application_credential method needs a secret.")
    try:
        if method.get("id"):
            cred = app_creds.get(conn, method["id"])
        elif method.get("name") and isinstance(method.get("user"), Mapping):
            user = _find_user(conn, method["user"])
            cred = app_creds.get_by_name(conn, method["name"], user["id"])
        else:
            raise exc.ValidationError(
                "An application credential is named by id, or by name and user.")
    except exc.NotFound:
        raise exc.AuthFailed() from None
    if not verify_password(secret, app_creds.secret_hash(conn, cred["id"])):
        raise exc.AuthFailed()
    if cred["expires_at"] is not None and cred["expires_at"] <= utcnow():
        raise exc.AuthFailed()
    _enabled_user(conn, cred["user_id"])
    return cred


def _scope_kind(scope: Any) -> str | None:
    """What the request asks to scope to, checked before any credential is."""
    if scope is None or scope == "unscoped":
        return None
    if not isinstance(scope, Mapping):
        raise exc.ValidationError("The scope must be an object or \"unscoped\".")
    kinds = [k for k in ("project", "domain", "system", "OS-TRUST:trust") if k in scope]
    if len(kinds) > 1:
        raise exc.ValidationError("Specify a project, a domain or the system as scope, "
                                  "not several.")
    if not kinds:
        raise exc.ValidationError("The scope names nothing to scope to.")
    kind = kinds[0]
    if kind == "OS-TRUST:trust":
        raise exc.ValidationError("Trusts are not supported.")
    if kind == "system" and scope["system"] != {"all": True}:
        raise exc.ValidationError("The only system scope is {\"all\": true}.")
    ref = scope[kind]
    if kind != "system" and not (isinstance(ref, Mapping) and (
            ref.get("id") or (ref.get("name") and isinstance(ref.get("domain"), Mapping)
                              if kind == "project" else ref.get("name")))):
        raise exc.ValidationError(f"A {kind} scope is named by id, or by name"
                                  + (" and domain." if kind == "project" else "."))
    return kind


def _requested_scope(conn: Connection, scope: Any) -> dict[str, Any]:
    """{"project": ref} | {"domain": ref} | {"system": True} | {} (unscoped)."""
    kind = _scope_kind(scope)
    if kind is None:
        return {}
    if kind == "system":
        return {"system": True}
    ref = scope[kind]
    try:
        if kind == "domain":
            return {"domain": _find_domain(conn, ref)}
        if ref.get("id"):
            return {"project": resources.get_project(conn, ref["id"])}
        domain = _find_domain(conn, ref["domain"])
        return {"project": resources.get_project_by_name(conn, ref["name"], domain["id"])}
    except exc.NotFound:
        raise exc.AuthFailed() from None


def authenticate(
    conn: Connection, codec: TokenCodec, settings: TokenSettings, body: Mapping[str, Any],
) -> tuple[str, ValidatedToken]:
    """Check the identity methods of an auth request and issue a token."""
    identity = body["identity"]
    methods = identity["methods"]
    _scope_kind(body.get("scope"))
    user_ids = set()
    expires_at: datetime.datetime | None = None
    audit_ids: tuple[str, ...] = (new_audit_id(),)
    app_cred: dict[str, Any] | None = None
    rescoped: Payload | None = None
    for method in methods:
        data = identity.get(method)
        if not isinstance(data, Mapping):
            raise exc.ValidationError(f"Expecting to find {method} in identity.")
        if method == "password":
            user_ids.add(_password_user(conn, settings, data))
        elif method == "token":
            try:
                old = validate(conn, codec, settings, str(data.get("id", "")))
            except exc.TokenNotFound:
                raise exc.AuthFailed() from None
            rescoped = old.payload
            if rescoped.application_credential_id:
                raise exc.AuthFailed()
            user_ids.add(rescoped.user_id)
            expires_at = rescoped.expires_at
            audit_ids = (audit_ids[0], rescoped.audit_ids[-1])
        elif method == "application_credential":
            app_cred = _app_cred(conn, data)
            user_ids.add(app_cred["user_id"])
        else:
            raise exc.AuthFailed()
    if len(user_ids) != 1:
        raise exc.AuthFailed()
    user_id = user_ids.pop()
    scope = _requested_scope(conn, body.get("scope"))
    if app_cred is not None:
        if scope and scope.get("project", {}).get("id") != app_cred["project_id"]:
            raise exc.AuthFailed()
        scope = {"project": resources.get_project(conn, app_cred["project_id"])}
    if rescoped is not None and rescoped.scope and not settings.allow_rescope_scoped_token:
        raise exc.Forbidden("Rescoping a scoped token is not allowed.")
    if not scope and "scope" not in body and rescoped is None:
        scope = _default_project_scope(conn, user_id)
    now = utcnow()
    if expires_at is None:
        expires_at = now + datetime.timedelta(seconds=settings.expiration)
    payload = Payload(
        user_id=user_id,
        methods=tuple(dict.fromkeys((rescoped.methods if rescoped else ()) + tuple(methods))),
        expires_at=expires_at.replace(microsecond=0),
        issued_at=now,
        audit_ids=audit_ids,
        project_id=scope["project"]["id"] if "project" in scope else None,
        domain_id=scope["domain"]["id"] if "domain" in scope else None,
        system=bool(scope.get("system")),
        application_credential_id=app_cred["id"] if app_cred else None,
    )
    user, user_domain = _enabled_user(conn, user_id)
    role_refs, project, project_domain, domain, cred = _scope_roles(conn, user_id, payload)
    token = codec.encode(payload)
    # Re-read what the token carries, so the body matches a later validation.
    payload = codec.decode(token)
    return token, ValidatedToken(payload, user, user_domain, role_refs, project,
                                 project_domain, domain, cred)


def _default_project_scope(conn: Connection, user_id: str) -> dict[str, Any]:
    """A user's default project, when it is usable, scopes an unscoped request."""
    default = users.get_user(conn, user_id).get("default_project_id")
    if not default:
        return {}
    try:
        project = resources.get_project(conn, default)
    except exc.NotFound:
        return {}
    if not project["enabled"] or not assignments.effective_role_ids(conn, user_id, project=project):
        return {}
    return {"project": project}


# -- rendering -----------------------------------------------------------------

def render(conn: Connection | None, token: ValidatedToken, include_catalog: bool = True) -> dict[str, Any]:
    """The ``token`` document of POST and GET /v3/auth/tokens."""
    payload = token.payload
    body: dict[str, Any] = {
        "methods": list(payload.methods),
        "user": {
            "domain": {"id": token.user_domain["id"], "name": token.user_domain["name"]},
            "id": token.user["id"],
            "name": token.user["name"],
            "password_expires_at": token.user.get("password_expires_at"),
        },
        "audit_ids": list(payload.audit_ids),
        "expires_at": format_time(payload.expires_at),
        "issued_at": format_time(payload.issued_at),
    }
    if token.project is not None and token.project_domain is not None:
        body["project"] = {
            "domain": {"id": token.project_domain["id"], "name": token.project_domain["name"]},
            "id": token.project["id"],
            "name": token.project["name"],
        }
        body["is_domain"] = False
    elif token.domain is not None:
        body["domain"] = {"id": token.domain["id"], "name": token.domain["name"]}
    elif payload.system:
        body["system"] = {"all": True}
    if payload.scope:
        body["roles"] = [dict(r) for r in token.roles]
        if include_catalog and conn is not None:
            body["catalog"] = catalog.build_catalog(conn, token.user["id"], payload.project_id)
    if token.application_credential is not None:
        cred = token.application_credential
        body["application_credential"] = {
            "id": cred["id"], "name": cred["name"], "restricted": not cred["unrestricted"],
        }
        if cred.get("access_rules"):
            body["application_credential"]["access_rules"] = cred["access_rules"]
    return body


def auth_info(token: ValidatedToken) -> AuthInfo:
    payload = token.payload
    return AuthInfo(
        user_id=token.user["id"],
        user_name=token.user["name"],
        user_domain_id=token.user_domain["id"],
        user_domain_name=token.user_domain["name"],
        roles=tuple(r["name"] for r in token.roles),
        role_ids=tuple(r["id"] for r in token.roles),
        project_id=token.project["id"] if token.project else None,
        project_name=token.project["name"] if token.project else None,
        project_domain_id=token.project_domain["id"] if token.project_domain else None,
        project_domain_name=token.project_domain["name"] if token.project_domain else None,
        domain_id=token.domain["id"] if token.domain else None,
        domain_name=token.domain["name"] if token.domain else None,
        system_scope="all" if payload.system else None,
        application_credential_id=payload.application_credential_id,
        methods=payload.methods,
        audit_ids=payload.audit_ids,
        expires_at=payload.expires_at,
        issued_at=payload.issued_at,
    )

