"""Key pair fingerprints and generated keys."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from nimbus.compute import keys
from nimbus.compute.exceptions import InvalidKeypair


def test_generated_ssh_key_matches_its_fingerprint():
    private, public, fingerprint = keys.generate(keys.SSH, "user-1")
    assert public.startswith("ssh-rsa ") and public.endswith(" Generated-by-Nova")
    loaded = serialization.load_pem_private_key(private.encode(), password=None)
    blob = loaded.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                            serialization.PublicFormat.OpenSSH)
    assert public.startswith(blob.decode())
    digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
    assert fingerprint == ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    assert keys.ssh_fingerprint(public) == fingerprint


def test_generated_x509_certificate_names_the_user():
    private, pem, fingerprint = keys.generate(keys.X509, "user-2")
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert cert.subject.rfc4514_string() == "CN=user-2"
    key, bundled, _ = pkcs12.load_key_and_certificates(base64.b64decode(private), None)
    assert bundled == cert and key is not None
    sha1 = cert.fingerprint(hashes.SHA1())
    assert fingerprint == ":".join(f"{b:02x}" for b in sha1)


@pytest.mark.parametrize("bad", ["", "ssh-rsa", "ssh-rsa not-base64!", "hello world"])
def test_bad_ssh_keys_are_refused(bad):
    with pytest.raises(InvalidKeypair, match="failed to generate fingerprint"):
        keys.ssh_fingerprint(bad)


def test_bad_certificates_are_refused():
    with pytest.raises(InvalidKeypair, match="failed to generate X509 fingerprint"):
        keys.x509_fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
