"""The cloud starts on every backend and issues a token to the admin."""

from __future__ import annotations

import httpx

from tests.support.cloud import ADMIN_PASSWORD


def test_admin_gets_a_scoped_token(cloud):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    resp = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json=body)
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    assert resp.headers["x-subject-token"]
    assert {r["name"] for r in token["roles"]} == {"admin", "manager", "member", "reader"}
    assert token["project"]["name"] == "admin"
