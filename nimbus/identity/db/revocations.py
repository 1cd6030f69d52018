"""Revocation events: what makes an otherwise valid token invalid."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common import auth
from nimbus.common.db import after_commit
from nimbus.common.db.types import utcnow
from nimbus.identity.db.models import revocation_events as EVENTS

_MATCH_KEYS = ("audit_id", "user_id", "project_id", "domain_id", "application_credential_id")


def revoke(
    conn: Connection,
    *,
    audit_id: str | None = None,
    user_id: str | None = None,
    project_id: str | None = None,
    domain_id: str | None = None,
    application_credential_id: str | None = None,
) -> None:
    """Revoke every token issued until now that matches all given fields."""
    values = {
        "audit_id": audit_id, "user_id": user_id, "project_id": project_id,
        "domain_id": domain_id, "application_credential_id": application_credential_id,
    }
    if not any(values.values()):
        raise ValueError("a revocation event needs at least one field to match")
    now = utcnow()
    conn.execute(sa.insert(EVENTS).values(issued_before=now, revoked_at=now, **values))
    after_commit(conn, auth.revocation_happened)


def is_revoked(
    conn: Connection,
    *,
    issued_at: datetime.datetime,
    audit_ids: Iterable[str],
    user_id: str,
    project_id: str | None,
    domain_ids: Iterable[str],
    application_credential_id: str | None,
) -> bool:
    """True when an event issued at or after `issued_at` matches the token."""
    token: dict[str, set[str]] = {
        "audit_id": set(audit_ids),
        "user_id": {user_id},
        "project_id": {project_id} if project_id else set(),
        "domain_id": {d for d in domain_ids if d},
        "application_credential_id": (
            {application_credential_id} if application_credential_id else set()),
    }
    candidates = sa.or_(
        *(EVENTS.c[key].in_(sorted(values)) for key, values in token.items() if values)
    )
    rows = conn.execute(
        sa.select(*(EVENTS.c[key] for key in _MATCH_KEYS))
        .where(EVENTS.c.issued_before >= issued_at, candidates)
    ).all()
    for row in rows:
        if all(row[i] is None or row[i] in token[key] for i, key in enumerate(_MATCH_KEYS)):
            return True
    return False


def purge(conn: Connection, older_than: datetime.datetime) -> int:
    """Delete events that no usable token can be older than."""
    return conn.execute(sa.delete(EVENTS).where(EVENTS.c.issued_before < older_than)).rowcount


def list_events(conn: Connection, since: datetime.datetime | None = None) -> list[dict[str, object]]:
    query = sa.select(EVENTS).order_by(EVENTS.c.id)
    if since is not None:
        query = query.where(EVENTS.c.revoked_at >= since)
    return [dict(row._mapping) for row in conn.execute(query)]
