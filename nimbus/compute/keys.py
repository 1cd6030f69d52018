"""Key pair material: fingerprints as Nova computes them, and generated keys.

An ssh key's fingerprint is the MD5 of its key blob, an x509 certificate's
the SHA-1 of its DER form, both as colon-separated hex. Generated ssh keys
are 2048-bit RSA with the private key in PEM; generated x509 keys are a
self-signed client certificate for WinRM with its key as base64 PKCS#12.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from nimbus.compute.exceptions import InvalidKeypair

SSH = "ssh"
X509 = "x509"
TYPES = (SSH, X509)
_BITS = 2048
_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")  # Microsoft's user principal name


def _colons(digest: bytes) -> str:
    text = digest.hex()
    return ":".join(text[i:i + 2] for i in range(0, len(text), 2))


def ssh_fingerprint(public_key: str) -> str:
    """:raises InvalidKeypair: not an OpenSSH public key."""
    try:
        serialization.load_ssh_public_key(public_key.encode())
        blob = base64.b64decode(public_key.split(" ")[1])
    except (ValueError, IndexError, TypeError, binascii.Error,
            UnsupportedAlgorithm):
        raise InvalidKeypair(reason="failed to generate fingerprint") from None
    return _colons(hashlib.md5(blob, usedforsecurity=False).digest())


def x509_fingerprint(pem: str) -> str:
    """:raises InvalidKeypair: not a PEM certificate."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, TypeError) as err:
        raise InvalidKeypair(reason="failed to generate X509 fingerprint. "
                             f"Error message: {err}") from None
    return _colons(cert.fingerprint(hashes.SHA1()))  # noqa: S303 - the format Nova reports


def fingerprint(public_key: str, key_type: str) -> str:
    return x509_fingerprint(public_key) if key_type == X509 else ssh_fingerprint(public_key)


def generate(key_type: str, user_id: str) -> tuple[str, str, str]:
    """A new key: (private key, public key or certificate, fingerprint)."""
    if key_type == X509:
        return _generate_x509(user_id)
    key = rsa.generate_private_key(public_exponent=65537, key_size=_BITS)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    blob = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()
    public = f"{blob} Generated-by-Nova"
    return private, public, ssh_fingerprint(public)


def _der_utf8(text: str) -> bytes:
    data = text.encode()
    if len(data) < 128:
        return bytes([0x0C, len(data)]) + data
    size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(size)]) + size + data


def _generate_x509(user_id: str) -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(
            [x509.OtherName(_UPN, _der_utf8(f"{user_id}@localhost"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    bundle = pkcs12.serialize_key_and_certificates(None, key, cert, None,
                                                   serialization.NoEncryption())
    return base64.b64encode(bundle).decode(), pem, x509_fingerprint(pem)
