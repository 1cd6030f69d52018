"""Credentials (``/v3/credentials``, EC2 keys), their blobs encrypted at rest."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry
from nimbus.identity import exceptions as exc
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import credentials

CREDENTIAL_FIELDS = ("id", "user_id", "project_id", "type", "blob")


class Cipher(Protocol):
    def encrypt(self, plaintext: bytes) -> str: ...
    def decrypt(self, token: str) -> bytes: ...


def _credential(row: Row[Any], cipher: Cipher) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, user_id=row.user_id, project_id=row.project_id, type=row.type,
               blob=cipher.decrypt(row.encrypted_blob).decode())
    return ref


def ec2_credential_id(access: str) -> str:
    """Keystone's id of an EC2 credential: the sha256 of its access key."""
    return hashlib.sha256(access.encode()).hexdigest()


def get(conn: Connection, cipher: Cipher, credential_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(credentials).where(credentials.c.id == credential_id)).first()
    if row is None:
        raise exc.NotFound("credential", credential_id)
    return _credential(row, cipher)


def list_credentials(
    conn: Connection, cipher: Cipher, *, user_id: str | None = None, type: str | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(credentials).order_by(credentials.c.id)
    if user_id is not None:
        query = query.where(credentials.c.user_id == user_id)
    if type is not None:
        query = query.where(credentials.c.type == type)
    return [_credential(row, cipher) for row in conn.execute(query)]


def _ec2_blob(blob: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(blob)
    except orjson.JSONDecodeError:
        raise exc.ValidationError("The blob of an ec2 credential must be JSON.") from None
    if not isinstance(parsed, dict) or not parsed.get("access"):
        raise exc.ValidationError("The blob of an ec2 credential must name an access key.")
    return parsed


def create(conn: Connection, cipher: Cipher, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, CREDENTIAL_FIELDS)
    credential_id = base.get("id")
    if base["type"] == "ec2":
        if not base.get("project_id"):
            raise exc.ValidationError("An ec2 credential needs a project_id.")
        blob = _ec2_blob(base["blob"])
        expected = ec2_credential_id(blob["access"])
        if credential_id and credential_id != expected:
            raise exc.ValidationError(
                "The id of an ec2 credential must be the sha256 of its access key."
            )
        credential_id = expected
    credential_id = credential_id or new_id()
    try:
        conn.execute(sa.insert(credentials).values(
            id=credential_id, user_id=base["user_id"], project_id=base.get("project_id"),
            type=base["type"], encrypted_blob=cipher.encrypt(base["blob"].encode()),
            extra=extra))
    except DuplicateEntry:
        raise exc.Conflict("credential", f"Duplicate ID, {credential_id}") from None
    return get(conn, cipher, credential_id)


def update(conn: Connection, cipher: Cipher, credential_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get(conn, cipher, credential_id)
    base = update_values(current, changes, CREDENTIAL_FIELDS)
    new_type = base.get("type", current["type"])
    if new_type == "ec2":
        project_id = base.get("project_id", current["project_id"])
        if not project_id:
            raise exc.ValidationError("An ec2 credential needs a project_id.")
        old, new = _ec2_blob(current["blob"]), _ec2_blob(base.get("blob", current["blob"]))
        for key in ("trust_id", "app_cred_id", "access_token_id"):
            if old.get(key) != new.get(key):
                raise exc.Forbidden(f"The {key} of an ec2 credential cannot change.")
    values = {k: v for k, v in base.items() if k != "blob"}
    if "blob" in base:
        values["encrypted_blob"] = cipher.encrypt(base["blob"].encode())
    if values:
        conn.execute(sa.update(credentials).where(credentials.c.id == credential_id)
                     .values(**values))
    return get(conn, cipher, credential_id)


def delete(conn: Connection, credential_id: str) -> None:
    deleted = conn.execute(sa.delete(credentials)
                           .where(credentials.c.id == credential_id)).rowcount
    if not deleted:
        raise exc.NotFound("credential", credential_id)


def reencrypt_all(conn: Connection, rotate: Any) -> int:
    """Re-encrypt every blob with `rotate(token) -> token` (after a key rotation)."""
    rows = conn.execute(sa.select(credentials.c.id, credentials.c.encrypted_blob)).all()
    for row in rows:
        conn.execute(sa.update(credentials).where(credentials.c.id == row.id)
                     .values(encrypted_blob=rotate(row.encrypted_blob)))
    return len(rows)
