"""Fernet tokens: what a token carries, packed small and encrypted.

A token names the user, the authentication methods, the scope, the expiry,
the issue time (to the millisecond, so that a revocation does not also hit a
token issued just after it) and its audit ids. Roles and the catalog are not
in the token: validation computes them afresh, so a removed role takes
effect at once. The packed payload is about 70 bytes and the token about 180
characters, like Keystone's.
"""

from __future__ import annotations

import base64
import datetime
import os
import struct
import uuid
from dataclasses import dataclass, field

from nimbus.identity import exceptions as exc
from nimbus.identity.fernet import InvalidToken, KeyRepository

METHOD_BITS = {
    "password": 1,
    "token": 2,
    "application_credential": 4,
    "totp": 8,
    "external": 16,
    "mapped": 32,
}
_FORMAT = 1
_SCOPES = {None: 0, "project": 1, "domain": 2, "system": 3}
_SCOPE_NAMES = {v: k for k, v in _SCOPES.items()}
_HEADER = struct.Struct(">BBBQQ")  # format, scope, methods, issued ms, expires s


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Payload:
    user_id: str
    methods: tuple[str, ...]
    expires_at: datetime.datetime
    issued_at: datetime.datetime
    audit_ids: tuple[str, ...]
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    application_credential_id: str | None = None
    scope: str | None = field(init=False)

    def __post_init__(self) -> None:
        scope = ("project" if self.project_id else "domain" if self.domain_id
                 else "system" if self.system else None)
        object.__setattr__(self, "scope", scope)


def _pack_id(value: str | None) -> bytes:
    if not value:
        return b"\x00"
    if len(value) == 32:
        try:
            parsed = uuid.UUID(hex=value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.hex == value:
            return b"\x01" + parsed.bytes
    raw = value.encode()
    if len(raw) > 255:
        raise ValueError("identifier too long for a token")
    return b"\x02" + bytes([len(raw)]) + raw


def _unpack_id(data: bytes, pos: int) -> tuple[str | None, int]:
    tag = data[pos]
    if tag == 0:
        return None, pos + 1
    if tag == 1:
        return uuid.UUID(bytes=data[pos + 1:pos + 17]).hex, pos + 17
    if tag == 2:
        length = data[pos + 1]
        return data[pos + 2:pos + 2 + length].decode(), pos + 2 + length
    raise ValueError(f"unknown id tag {tag}")


def _audit_bytes(audit_id: str) -> bytes:
    raw = base64.urlsafe_b64decode(audit_id + "=" * (-len(audit_id) % 4))
    if len(raw) != 16:
        raise ValueError("audit ids are 16 bytes")
    return raw


def pack(payload: Payload) -> bytes:
    methods = 0
    for method in payload.methods:
        methods |= METHOD_BITS[method]
    scope_id = payload.project_id or payload.domain_id
    parts = [
        _HEADER.pack(
            _FORMAT, _SCOPES[payload.scope], methods,
            int(payload.issued_at.timestamp() * 1000), int(payload.expires_at.timestamp()),
        ),
        _pack_id(payload.user_id),
        _pack_id(scope_id),
        _pack_id(payload.application_credential_id),
        bytes([len(payload.audit_ids)]),
    ]
    parts.extend(_audit_bytes(a) for a in payload.audit_ids)
    return b"".join(parts)


def unpack(data: bytes) -> Payload:
    fmt, scope_code, methods, issued_ms, expires_s = _HEADER.unpack_from(data, 0)
    if fmt != _FORMAT:
        raise ValueError(f"unknown token format {fmt}")
    pos = _HEADER.size
    user_id, pos = _unpack_id(data, pos)
    scope_id, pos = _unpack_id(data, pos)
    app_cred_id, pos = _unpack_id(data, pos)
    count = data[pos]
    pos += 1
    audit_ids = []
    for _ in range(count):
        audit_ids.append(base64.urlsafe_b64encode(data[pos:pos + 16]).decode().rstrip("="))
        pos += 16
    if user_id is None:
        raise ValueError("token names no user")
    scope = _SCOPE_NAMES[scope_code]
    utc = datetime.UTC
    return Payload(
        user_id=user_id,
        methods=tuple(m for m, bit in METHOD_BITS.items() if methods & bit),
        expires_at=datetime.datetime.fromtimestamp(expires_s, utc),
        issued_at=datetime.datetime.fromtimestamp(issued_ms / 1000, utc),
        audit_ids=tuple(audit_ids),
        project_id=scope_id if scope == "project" else None,
        domain_id=scope_id if scope == "domain" else None,
        system=scope == "system",
        application_credential_id=app_cred_id,
    )


class TokenCodec:
    """Encrypts payloads into tokens and back, with the key repository."""

    def __init__(self, keys: KeyRepository):
        self.keys = keys

    def encode(self, payload: Payload) -> str:
        return self.keys.encrypt(pack(payload))

    def decode(self, token: str) -> Payload:
        """:raises TokenNotFound: not a token of ours, or tampered with."""
        if not token or len(token) > 1024:
            raise exc.TokenNotFound()
        try:
            data, _timestamp = self.keys.decrypt(token)
            return unpack(data)
        except (InvalidToken, ValueError, struct.error, IndexError, KeyError):
            raise exc.TokenNotFound() from None


def format_time(value: datetime.datetime) -> str:
    """Keystone's form of token times: seconds, then ``.000000Z``."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
