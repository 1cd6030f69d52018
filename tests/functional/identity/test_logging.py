"""Requests are logged with their request id, and passwords and tokens never are."""

from __future__ import annotations

import logging

import httpx


def test_no_secrets_in_the_log(cloud, admin, caplog):
    password = "hunter2-very-distinctive"
    user = admin.identity.create_user(name="logged", password=password)
    try:
        with caplog.at_level(logging.DEBUG):
            resp = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json={"auth": {"identity": {
                "methods": ["password"], "password": {"user": {"id": user.id,
                                                               "password": password}}}}})
            token = resp.headers["x-subject-token"]
            httpx.get(f"{cloud.auth_url}/v3/auth/tokens",
                      headers={"X-Auth-Token": token, "X-Subject-Token": token})
            httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json={"auth": {"identity": {
                "methods": ["password"], "password": {"user": {"id": user.id,
                                                               "password": "wrong-pass-xyz"}}}}})
        # The server runs in this process: keep its records, not the client's
        # (httpcore logs the client's own headers at DEBUG).
        server = [r for r in caplog.records if not r.name.startswith(
            ("httpx", "httpcore", "keystoneauth", "urllib3", "openstack"))]
        assert server
        text = "\n".join(r.getMessage() + (r.exc_text or "") for r in server)
        assert password not in text and "wrong-pass-xyz" not in text and token not in text
        access = [r for r in caplog.records if r.name == "nimbus.access.identity"]
        assert any('"POST /identity/v3/auth/tokens" status: 201' in r.getMessage()
                   for r in access)
        assert resp.headers["x-openstack-request-id"].startswith("req-")
    finally:
        admin.identity.delete_user(user)
