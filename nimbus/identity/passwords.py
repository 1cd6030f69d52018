"""Password and secret hashing with scrypt (a slow, memory-hard KDF)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_PREFIX = "$scrypt$"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, salt: bytes, ln: int, r: int, p: int) -> bytes:
    n = 1 << ln
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p,
        maxmem=256 * n * r * p + (1 << 20), dklen=32,
    )


def hash_password(secret: str, cost: int) -> str:
    """``$scrypt$ln=<cost>,r=8,p=1$<salt>$<hash>``, the parameters kept with
    the hash so that changing the cost leaves old hashes verifiable."""
    salt = os.urandom(16)
    digest = _derive(secret, salt, cost, 8, 1)
    return f"{_PREFIX}ln={cost},r=8,p=1${_b64(salt)}${_b64(digest)}"


def verify_password(secret: str, hashed: str | None) -> bool:
    if not hashed or not hashed.startswith(_PREFIX):
        return False
    try:
        params, salt, digest = hashed[len(_PREFIX):].split("$")
        values = dict(item.split("=") for item in params.split(","))
        ln, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        expected = _unb64(digest)
        actual = _derive(secret, _unb64(salt), ln, r, p)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(expected, actual)
