"""The token payload format, the key repository and password hashing."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest

from nimbus.identity import exceptions as exc
from nimbus.identity.fernet import InvalidToken, KeyRepository
from nimbus.identity.passwords import hash_password, verify_password
from nimbus.identity.tokens import Payload, TokenCodec, new_audit_id, pack, unpack

UTC = datetime.UTC


def payload(**kw) -> Payload:
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    base = dict(user_id=uuid.uuid4().hex, methods=("password", "token"),
                expires_at=now.replace(microsecond=0) + datetime.timedelta(hours=1),
                issued_at=now, audit_ids=(new_audit_id(), new_audit_id()))
    base.update(kw)
    return Payload(**base)


@pytest.mark.parametrize("extra", [
    {}, {"project_id": uuid.uuid4().hex}, {"domain_id": "default"}, {"system": True},
    {"project_id": uuid.uuid4().hex, "application_credential_id": uuid.uuid4().hex},
    {"user_id": "some-ldap-style-id", "project_id": "UPPERCASEHEX0123456789ABCDEF0123"},
])
def test_pack_roundtrip(extra):
    original = payload(**extra)
    assert unpack(pack(original)) == original


def test_payload_is_small():
    assert len(pack(payload(project_id=uuid.uuid4().hex))) < 100


def test_codec_rejects_tampering_and_foreign_keys(tmp_path):
    keys = KeyRepository(str(tmp_path / "a"))
    keys.setup()
    codec = TokenCodec(keys)
    original = payload()
    token = codec.encode(original)
    assert codec.decode(token) == original
    other = KeyRepository(str(tmp_path / "b"))
    other.setup()
    with pytest.raises(exc.TokenNotFound):
        TokenCodec(other).decode(token)
    # A character in the middle: every one of its bits is data (the last
    # one's low bits can be padding, so changing it may change nothing).
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    for bad in ("", "x" * 2000, tampered, "gAAAA"):
        with pytest.raises(exc.TokenNotFound):
            codec.decode(bad)


def test_rotation_lifecycle(tmp_path):
    keys = KeyRepository(str(tmp_path / "k"), max_active_keys=3)
    assert keys.setup() and not keys.setup()
    assert sorted(os.listdir(keys.path)) == ["0", "1"]
    first = keys.encrypt(b"one")
    assert keys.rotate() == 2
    assert sorted(os.listdir(keys.path)) == ["0", "1", "2"]
    assert keys.decrypt(first)[0] == b"one"
    keys.rotate()
    assert sorted(os.listdir(keys.path)) == ["0", "2", "3"]
    with pytest.raises(InvalidToken):
        keys.decrypt(first)
    assert oct(os.stat(os.path.join(keys.path, "3")).st_mode & 0o777) == "0o600"


def test_staged_key_decrypts_before_promotion(tmp_path):
    """A host that promoted key 0 first issues tokens the others can read."""
    a = KeyRepository(str(tmp_path / "a"))
    a.setup()
    b = KeyRepository(str(tmp_path / "b"))
    os.makedirs(b.path)
    for name in os.listdir(a.path):
        with open(os.path.join(a.path, name), "rb") as src, \
                open(os.path.join(b.path, name), "wb") as dst:
            dst.write(src.read())
    staged = open(os.path.join(a.path, "0"), "rb").read()
    a.rotate()  # a's primary is now the old staged key
    assert open(os.path.join(a.path, "2"), "rb").read() == staged
    assert b.decrypt(a.encrypt(b"hello"))[0] == b"hello"


def test_password_hashes():
    hashed = hash_password("correct horse", 10)
    assert hashed.startswith("$scrypt$ln=10,r=8,p=1$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong", hashed)
    assert hash_password("correct horse", 10) != hashed  # salted
    assert not verify_password("x", None) and not verify_password("x", "$bcrypt$...")
    assert not verify_password("x", "$scrypt$ln=zz$a$b")
