"""The scale-out path: `nimbus manage` then `nimbus api` with several workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.cloud import free_port

BIN = os.path.dirname(sys.executable)


def nimbus(*args: str, conf: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(BIN, "nimbus"), *args, "--config-file", conf],
                          capture_output=True, text=True, env=env, timeout=120)


def children(pid: int) -> list[int]:
    """Child processes of `pid` (Linux)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            found += [int(p) for p in fh.read().split()]
    return found


def issue(url: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})


@pytest.mark.slow
def test_manage_then_api_with_two_workers(tmp_path):
    port = free_port()
    conf = tmp_path / "nimbus.conf"
    conf.write_text(
        f"[DEFAULT]\ndata_dir = {tmp_path / 'data'}\n"
        f"[api]\nbind_port = {port}\nworkers = 2\n"
        "[identity]\npassword_hash_cost = 10\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for args in (("manage", "db", "sync", "--expand"), ("manage", "db", "sync", "--contract"),
                 ("manage", "bootstrap", "--bootstrap-password", "pw")):
        result = nimbus(*args, conf=str(conf), env=env)
        assert result.returncode == 0, result.stderr
    version = nimbus("manage", "db", "version", conf=str(conf), env=env)
    assert version.returncode == 0 and "identity expand: e" in version.stdout
    assert "up to date" in version.stdout

    proc = subprocess.Popen([os.path.join(BIN, "nimbus"), "api", "--config-file", str(conf)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/identity"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/v3").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        deadline = time.monotonic() + 30
        while len(children(proc.pid)) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        # Tokens from any worker validate on every worker: the keys are shared.
        tokens = [issue(url, "pw").headers["x-subject-token"] for _ in range(6)]
        with httpx.Client() as client:
            for token in tokens:
                for _ in range(3):
                    resp = client.get(f"{url}/v3/auth/tokens", headers={
                        "X-Auth-Token": tokens[0], "X-Subject-Token": token})
                    assert resp.status_code == 200
            revoked = tokens[-1]
            assert client.delete(f"{url}/v3/auth/tokens", headers={
                "X-Auth-Token": tokens[0], "X-Subject-Token": revoked}).status_code == 204
            for _ in range(4):
                assert client.get(f"{url}/v3/auth/tokens", headers={
                    "X-Auth-Token": tokens[0], "X-Subject-Token": revoked}).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


@pytest.mark.slow
def test_credential_rotation_keeps_secrets_readable(tmp_path):
    conf = tmp_path / "nimbus.conf"
    conf.write_text(f"[DEFAULT]\ndata_dir = {tmp_path / 'data'}\n"
                    "[identity]\npassword_hash_cost = 10\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for args in (("manage", "db", "sync"), ("manage", "bootstrap", "--bootstrap-password", "pw")):
        assert nimbus(*args, conf=str(conf), env=env).returncode == 0
    from nimbus.common import config
    from nimbus.deploy import Deployment
    from nimbus.identity.db import credentials

    deployment = Deployment(config.make_conf(config_files=[str(conf)]))
    ident = deployment.identity
    with ident.db.writer() as conn:
        made = credentials.create(conn, ident, {"user_id": "u", "type": "totp", "blob": "seed"})
    for _ in range(4):  # more rotations than max_active_keys keeps keys
        result = nimbus("manage", "credential", "rotate", conf=str(conf), env=env)
        assert result.returncode == 0 and "re-encrypted 1 secrets" in result.stdout
    with ident.db.reader() as conn:
        assert credentials.get(conn, ident, made["id"])["blob"] == "seed"
    deployment.close()
