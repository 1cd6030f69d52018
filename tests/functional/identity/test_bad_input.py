"""Bad requests get 400 (or 404/405/413/415) in Keystone's error format, never 500."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.identity.test_tokens import admin_token


@pytest.fixture(scope="module")
def headers(cloud):
    return {"X-Auth-Token": admin_token(cloud), "Content-Type": "application/json"}


@pytest.mark.parametrize("path,body", [
    ("/v3/projects", b"{oops"),
    ("/v3/projects", b"[]"),
    ("/v3/projects", b'{"project": {}}'),
    ("/v3/projects", b'{"project": {"name": ""}}'),
    ("/v3/projects", b'{"project": {"name": 12}}'),
    ("/v3/projects", b'{"project": {"name": "x", "enabled": "yes"}}'),
    ("/v3/projects", b'{"project": {"name": "x", "tags": ["a,b"]}}'),
    ("/v3/projects", b'{"project": {"name": "x"}, "other": 1}'),
    ("/v3/projects", b'{"project": {"name": "' + b"n" * 65 + b'"}}'),
    ("/v3/projects", b'{"project": {"name": "x", "domain_id": "no such domain!"}}'),
    ("/v3/users", b'{"user": {"name": "x", "enabled": 1}}'),
    ("/v3/users", b'{"user": {"name": "x", "domain_id": "nope"}}'),
    ("/v3/roles", b'{"role": {"name": null}}'),
    ("/v3/domains", b'{"domain": {"name": "x", "enabled": "true"}}'),
    ("/v3/endpoints", b'{"endpoint": {"interface": "public", "url": "x", "service_id": "s"}}'),
    ("/v3/regions", b'{"region": {"parent_region_id": "missing"}}'),
    ("/v3/credentials", b'{"credential": {"type": "ec2", "blob": "{}", "user_id": "x",'
                        b' "project_id": "p"}}'),
])
def test_bad_bodies_are_400(cloud, headers, path, body):
    resp = httpx.post(cloud.auth_url + path, content=body, headers=headers)
    assert resp.status_code in (400, 404), resp.text
    error = resp.json()["error"]
    assert error["code"] == resp.status_code and error["message"] and error["title"]


def test_unknown_ids_are_404(cloud, headers):
    for path in ("/v3/projects/nope", "/v3/users/nope", "/v3/groups/nope", "/v3/roles/nope",
                 "/v3/domains/nope", "/v3/regions/nope", "/v3/services/nope",
                 "/v3/endpoints/nope", "/v3/credentials/nope", "/v3/no/such/thing"):
        resp = httpx.get(cloud.auth_url + path, headers=headers)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == 404


def test_wrong_method_is_405(cloud, headers):
    resp = httpx.put(cloud.auth_url + "/v3/projects", headers=headers, content=b"{}")
    assert resp.status_code == 405
    assert set(resp.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_oversized_body_is_413(cloud, headers):
    body = b'{"project": {"name": "x", "description": "' + b"d" * 200000 + b'"}}'
    resp = httpx.post(cloud.auth_url + "/v3/projects", content=body, headers=headers)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == 413


def test_form_body_is_415(cloud, headers):
    resp = httpx.post(cloud.auth_url + "/v3/projects", content=b"name=x",
                      headers=dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert resp.status_code == 415


def test_patch_cannot_move_a_project(cloud, headers, admin):
    project = admin.identity.create_project(name="movable", domain_id="default")
    try:
        resp = httpx.patch(f"{cloud.auth_url}/v3/projects/{project.id}", headers=headers,
                           json={"project": {"domain_id": "other"}})
        assert resp.status_code == 400
        assert admin.identity.get_project(project.id).domain_id == "default"
    finally:
        admin.identity.delete_project(project)


def test_nothing_stored_on_failure(cloud, headers, admin):
    before = {p.name for p in admin.identity.projects()}
    httpx.post(cloud.auth_url + "/v3/projects", headers=headers,
               json={"project": {"name": "half", "parent_id": "missing-parent"}})
    assert "half" not in {p.name for p in admin.identity.projects()} - before
