"""`nimbus up` as a user runs it: starts, writes clouds.yaml, stops on Ctrl-C, keeps data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import yaml

from tests.support.cloud import free_port

NIMBUS = os.path.join(os.path.dirname(sys.executable), "nimbus")


def start(tmp_path, port, password=None):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    if password:
        env["NIMBUS_ADMIN_PASSWORD"] = password
    conf = tmp_path / "nimbus.conf"
    conf.write_text("[identity]\npassword_hash_cost = 10\n")
    proc = subprocess.Popen(
        [NIMBUS, "up", "--config-file", str(conf), "--port", str(port), "--data-dir",
         str(tmp_path / "data")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/identity/v3").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"nimbus up did not start: {proc.communicate()}")


def stop(proc) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def token(port, password):
    return httpx.post(f"http://127.0.0.1:{port}/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}})


@pytest.mark.slow
def test_up_prints_credentials_writes_clouds_and_restarts_with_data(tmp_path):
    port = free_port()
    proc = start(tmp_path, port)
    clouds_path = tmp_path / ".config" / "openstack" / "clouds.yaml"
    entry = yaml.safe_load(clouds_path.read_text())["clouds"]["nimbus"]
    password = entry["auth"]["password"]
    assert entry["auth"]["auth_url"] == f"http://127.0.0.1:{port}/identity"
    first = token(port, password)
    assert first.status_code == 201
    subject = first.headers["x-subject-token"]
    revoked = token(port, password).headers["x-subject-token"]
    assert httpx.delete(f"http://127.0.0.1:{port}/identity/v3/auth/tokens", headers={
        "X-Auth-Token": subject, "X-Subject-Token": revoked}).status_code == 204
    code, out, err = stop(proc)
    assert code == 0, err
    assert f"listening on http://127.0.0.1:{port}" in out
    assert password in out  # generated: printed once
    assert "openstack --os-cloud nimbus token issue" in out
    assert password not in err  # and never logged

    proc = start(tmp_path, port)
    try:
        check = httpx.get(f"http://127.0.0.1:{port}/identity/v3/auth/tokens",
                          headers={"X-Auth-Token": subject, "X-Subject-Token": subject})
        assert check.status_code == 200  # tokens survive a restart
        gone = httpx.get(f"http://127.0.0.1:{port}/identity/v3/auth/tokens",
                         headers={"X-Auth-Token": subject, "X-Subject-Token": revoked})
        assert gone.status_code == 404  # and so do revocations
        assert token(port, password).status_code == 201
    finally:
        code, out, err = stop(proc)
    assert code == 0
    assert password not in out  # not printed again


@pytest.mark.slow
def test_up_takes_the_password_from_the_environment(tmp_path):
    port = free_port()
    proc = start(tmp_path, port, password="from-env-123")
    try:
        assert token(port, "from-env-123").status_code == 201
    finally:
        stop(proc)
