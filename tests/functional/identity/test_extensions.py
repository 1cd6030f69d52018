"""OS-EP-FILTER, OS-OAUTH1 consumers and domain configuration, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from nimbus.identity.db.models import domain_config_options, oauth_consumers
from nimbus.identity.passwords import verify_password
from tests.functional.identity.conftest import unique

EP = "/v3/OS-EP-FILTER"


class Api:
    """httpx against the identity API with one caller's token."""

    def __init__(self, cloud: Any, token: str):
        self.base = cloud.auth_url
        self.headers = {"X-Auth-Token": token}

    def __call__(self, method: str, path: str, json: Any = None, content: bytes | None = None,
                 **params: str) -> httpx.Response:
        headers = dict(self.headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        return httpx.request(method, self.base + path, json=json, content=content,
                             headers=headers, params=params)


def expect(resp: httpx.Response, status: int) -> Any:
    assert resp.status_code == status, resp.text
    if status >= 400:
        error = resp.json()["error"]
        assert error["code"] == status and error["message"] and error["title"]
        return error
    return resp.json() if resp.content else None


@pytest.fixture
def api(cloud, admin) -> Api:
    return Api(cloud, admin.session.get_token())


@pytest.fixture
def member_api(cloud, make_person) -> Api:
    return Api(cloud, make_person("member").conn.session.get_token())


@pytest.fixture
def service(admin) -> Iterator[Any]:
    svc = admin.identity.create_service(name=unique("svc"), type=unique("type"))
    yield svc
    admin.identity.delete_service(svc, ignore_missing=True)


@pytest.fixture
def project(admin) -> Iterator[Any]:
    proj = admin.identity.create_project(name=unique("proj"), domain_id="default")
    yield proj
    admin.identity.delete_project(proj, ignore_missing=True)


def endpoint(admin, service, interface: str = "public") -> Any:
    return admin.identity.create_endpoint(service_id=service.id, interface=interface,
                                          url=f"http://{unique('host')}:1234/", region_id=None)


def new_group(api: Api, service, **extra: Any) -> dict[str, Any]:
    body = {"name": unique("group"), "description": "some endpoints",
            "filters": {"service_id": service.id}, **extra}
    return expect(api("POST", f"{EP}/endpoint_groups", {"endpoint_group": body}), 201)[
        "endpoint_group"]


# -- endpoint groups -------------------------------------------------------------

def test_endpoint_group_crud(cloud, api, admin, service):
    public, internal = endpoint(admin, service), endpoint(admin, service, "internal")
    group = new_group(api, service)
    url = f"{cloud.auth_url}{EP}/endpoint_groups/{group['id']}"
    assert group == {"id": group["id"], "name": group["name"], "description": "some endpoints",
                     "filters": {"service_id": service.id}, "links": {"self": url}}
    listed = expect(api("GET", f"{EP}/endpoint_groups"), 200)
    assert group in listed["endpoint_groups"]
    by_name = expect(api("GET", f"{EP}/endpoint_groups", name=group["name"]), 200)
    assert by_name["endpoint_groups"] == [group]
    assert expect(api("GET", f"{EP}/endpoint_groups/{group['id']}"), 200) == {
        "endpoint_group": group}
    assert api("HEAD", f"{EP}/endpoint_groups/{group['id']}").status_code == 200

    found = expect(api("GET", f"{EP}/endpoint_groups/{group['id']}/endpoints"), 200)
    assert sorted(e["id"] for e in found["endpoints"]) == sorted([public.id, internal.id])
    assert all(e["links"]["self"].endswith(f"/v3/endpoints/{e['id']}") for e in found["endpoints"])

    updated = expect(api("PATCH", f"{EP}/endpoint_groups/{group['id']}", {"endpoint_group": {
        "name": "renamed", "description": None,
        "filters": {"service_id": service.id, "interface": "internal"}}}), 200)["endpoint_group"]
    assert (updated["name"], updated["description"]) == ("renamed", None)
    found = expect(api("GET", f"{EP}/endpoint_groups/{group['id']}/endpoints"), 200)
    assert [e["id"] for e in found["endpoints"]] == [internal.id]

    assert api("DELETE", f"{EP}/endpoint_groups/{group['id']}").status_code == 204
    expect(api("GET", f"{EP}/endpoint_groups/{group['id']}"), 404)
    assert api("HEAD", f"{EP}/endpoint_groups/{group['id']}").status_code == 404
    expect(api("DELETE", f"{EP}/endpoint_groups/{group['id']}"), 404)
    expect(api("PATCH", f"{EP}/endpoint_groups/{group['id']}",
               {"endpoint_group": {"name": "x"}}), 404)
    expect(api("GET", f"{EP}/endpoint_groups/{group['id']}/endpoints"), 404)


@pytest.mark.parametrize("body", [
    {"endpoint_group": {"name": "g"}},
    {"endpoint_group": {"name": "g", "filters": {}}},
    {"endpoint_group": {"name": "g", "filters": {"url": "http://x"}}},
    {"endpoint_group": {"name": "g", "filters": {"interface": "sideways"}}},
    {"endpoint_group": {"name": "g", "filters": "service_id"}},
    {"endpoint_group": {"name": "", "filters": {"interface": "public"}}},
    {"endpoint_group": {"name": "g", "filters": {"interface": "public"}, "color": "red"}},
    {"name": "g", "filters": {"interface": "public"}},
    [],
])
def test_endpoint_group_bad_bodies(api, body):
    expect(api("POST", f"{EP}/endpoint_groups", body), 400)


def test_endpoint_group_bad_updates(api, service):
    group = new_group(api, service)
    path = f"{EP}/endpoint_groups/{group['id']}"
    for body in ({"endpoint_group": {}}, {"endpoint_group": {"filters": {}}},
                 {"endpoint_group": {"filters": {"enabled": True}}},
                 {"endpoint_group": {"id": "other"}}):
        expect(api("PATCH", path, body), 400)
    expect(api("POST", f"{EP}/endpoint_groups", content=b"{not json"), 400)
    api("DELETE", path)


def test_endpoint_groups_of_projects(cloud, api, admin, service, project):
    selected = endpoint(admin, service)
    group = new_group(api, service)
    assoc = f"{EP}/endpoint_groups/{group['id']}/projects/{project.id}"
    expect(api("GET", assoc), 404)
    assert api("PUT", assoc).status_code == 204
    expect(api("PUT", assoc), 409)
    shown = expect(api("GET", assoc), 200)["project_endpoint_group"]
    assert shown == {"endpoint_group_id": group["id"], "project_id": project.id,
                     "links": {"self": cloud.auth_url + assoc}}
    assert api("HEAD", assoc).status_code == 200

    projects = expect(api("GET", f"{EP}/endpoint_groups/{group['id']}/projects"), 200)
    assert [p["id"] for p in projects["projects"]] == [project.id]
    groups = expect(api("GET", f"{EP}/projects/{project.id}/endpoint_groups"), 200)
    assert groups["endpoint_groups"] == [group]
    endpoints = expect(api("GET", f"{EP}/projects/{project.id}/endpoints"), 200)
    assert [e["id"] for e in endpoints["endpoints"]] == [selected.id]

    assert api("DELETE", assoc).status_code == 204
    expect(api("GET", assoc), 404)
    expect(api("DELETE", assoc), 404)
    expect(api("PUT", f"{EP}/endpoint_groups/{group['id']}/projects/nope"), 404)
    expect(api("PUT", f"{EP}/endpoint_groups/nope/projects/{project.id}"), 404)
    expect(api("GET", f"{EP}/endpoint_groups/nope/projects"), 404)
    expect(api("GET", f"{EP}/projects/nope/endpoint_groups"), 404)

    # Deleting the project (or the group) takes its associations along.
    assert api("PUT", assoc).status_code == 204
    admin.identity.delete_project(project)
    projects = expect(api("GET", f"{EP}/endpoint_groups/{group['id']}/projects"), 200)
    assert projects["projects"] == []
    api("DELETE", f"{EP}/endpoint_groups/{group['id']}")


def test_endpoints_of_projects(api, admin, service, project):
    direct, other = endpoint(admin, service), endpoint(admin, service, "admin")
    assoc = f"{EP}/projects/{project.id}/endpoints/{direct.id}"
    expect(api("GET", assoc), 404)
    assert api("PUT", assoc).status_code == 204
    expect(api("PUT", assoc), 409)
    assert api("GET", assoc).status_code == 204
    assert api("HEAD", assoc).status_code == 204
    endpoints = expect(api("GET", f"{EP}/projects/{project.id}/endpoints"), 200)["endpoints"]
    assert [e["id"] for e in endpoints] == [direct.id]
    assert endpoints[0]["region"] == endpoints[0]["region_id"]
    projects = expect(api("GET", f"{EP}/endpoints/{direct.id}/projects"), 200)["projects"]
    assert [p["id"] for p in projects] == [project.id]
    assert expect(api("GET", f"{EP}/endpoints/{other.id}/projects"), 200)["projects"] == []

    assert api("DELETE", assoc).status_code == 204
    expect(api("DELETE", assoc), 404)
    expect(api("GET", f"{EP}/projects/{project.id}/endpoints/nope"), 404)
    expect(api("PUT", f"{EP}/projects/nope/endpoints/{direct.id}"), 404)
    expect(api("GET", f"{EP}/projects/nope/endpoints"), 404)
    expect(api("GET", f"{EP}/endpoints/nope/projects"), 404)

    # Deleting the endpoint takes its associations along.
    assert api("PUT", assoc).status_code == 204
    admin.identity.delete_endpoint(direct)
    assert expect(api("GET", f"{EP}/projects/{project.id}/endpoints"), 200)["endpoints"] == []


# -- OAuth1 consumers --------------------------------------------------------------

def test_consumer_crud(cloud, api):
    resp = api("POST", "/v3/OS-OAUTH1/consumers",
               {"consumer": {"description": "a consumer", "x-color": "red", "secret": "mine"}})
    created = expect(resp, 201)["consumer"]
    secret = created.pop("secret")
    assert len(secret) == 32 and secret != "mine"
    url = f"{cloud.auth_url}/v3/OS-OAUTH1/consumers/{created['id']}"
    assert created == {"id": created["id"], "description": "a consumer", "x_color": "red",
                       "links": {"self": url}}
    with cloud.identity.db.reader() as conn:
        stored = conn.execute(sa.select(oauth_consumers.c.secret_hash)
                              .where(oauth_consumers.c.id == created["id"])).scalar()
    assert secret not in stored and verify_password(secret, stored)

    path = f"/v3/OS-OAUTH1/consumers/{created['id']}"
    assert expect(api("GET", path), 200) == {"consumer": created}
    assert created in expect(api("GET", "/v3/OS-OAUTH1/consumers"), 200)["consumers"]
    updated = expect(api("PATCH", path, {"consumer": {"description": "renamed"}}), 200)
    assert updated["consumer"] == dict(created, description="renamed")
    assert expect(api("GET", path), 200)["consumer"]["description"] == "renamed"

    assert api("DELETE", path).status_code == 204
    expect(api("GET", path), 404)
    expect(api("PATCH", path, {"consumer": {"description": "x"}}), 404)
    expect(api("DELETE", path), 404)


def test_consumer_from_empty_body(api):
    created = expect(api("POST", "/v3/OS-OAUTH1/consumers"), 201)["consumer"]
    assert created["description"] is None and created["secret"]
    api("DELETE", f"/v3/OS-OAUTH1/consumers/{created['id']}")


def test_consumer_bad_bodies(api):
    expect(api("POST", "/v3/OS-OAUTH1/consumers", {"consumer": {"description": 5}}), 400)
    expect(api("POST", "/v3/OS-OAUTH1/consumers", {"consumer": []}), 400)
    expect(api("POST", "/v3/OS-OAUTH1/consumers", content=b"[1,"), 400)
    created = expect(api("POST", "/v3/OS-OAUTH1/consumers", {"consumer": {}}), 201)["consumer"]
    path = f"/v3/OS-OAUTH1/consumers/{created['id']}"
    for body in ({"consumer": {}}, {"consumer": {"secret": "new"}}, {"description": "x"},
                 {"consumer": {"id": "another"}}):
        expect(api("PATCH", path, body), 400)
    api("DELETE", path)


# -- domain configuration ------------------------------------------------------------

CONFIG = {"identity": {"driver": "ldap"},
          "ldap": {"url": "ldap://ldap.example.org:389/", "user_tree_dn": "ou=Users,dc=example"}}


@pytest.fixture
def domain(admin) -> Iterator[Any]:
    dom = admin.identity.create_domain(name=unique("dom"))
    yield dom
    admin.identity.update_domain(dom, enabled=False)
    admin.identity.delete_domain(dom, ignore_missing=True)


def test_domain_config_crud(api, domain):
    path = f"/v3/domains/{domain.id}/config"
    expect(api("GET", path), 404)
    assert expect(api("PUT", path, {"config": CONFIG}), 201) == {"config": CONFIG}
    assert expect(api("PUT", path, {"config": CONFIG}), 200) == {"config": CONFIG}
    assert expect(api("GET", path), 200) == {"config": CONFIG}
    assert api("HEAD", path).status_code == 200
    assert expect(api("GET", f"{path}/ldap"), 200) == {"config": {"ldap": CONFIG["ldap"]}}
    assert expect(api("GET", f"{path}/ldap/url"), 200) == {"config": {"url": CONFIG["ldap"]["url"]}}

    group = {"identity": {"driver": "sql", "list_limit": 7}}
    updated = expect(api("PATCH", f"{path}/identity", {"config": group}), 200)["config"]
    assert updated == dict(CONFIG, identity=group["identity"])
    updated = expect(api("PATCH", f"{path}/identity/driver", {"config": {"driver": "x"}}), 200)
    assert updated["config"]["identity"] == {"driver": "x", "list_limit": 7}
    whole = expect(api("PATCH", path, {"config": {"ldap": {"page_size": 5}}}), 200)["config"]
    assert whole["ldap"] == dict(CONFIG["ldap"], page_size=5)

    assert api("DELETE", f"{path}/identity/driver").status_code == 204
    expect(api("GET", f"{path}/identity/driver"), 404)
    expect(api("DELETE", f"{path}/identity/driver"), 404)
    assert api("DELETE", f"{path}/identity").status_code == 204
    expect(api("GET", f"{path}/identity"), 404)
    expect(api("PATCH", f"{path}/identity", {"config": group}), 404)
    assert api("DELETE", path).status_code == 204
    expect(api("GET", path), 404)


def test_ldap_password_is_never_shown(cloud, api, domain):
    path = f"/v3/domains/{domain.id}/config"
    config = {"ldap": {"url": "ldap://x", "password": "s3cret-bind"}}
    assert expect(api("PUT", path, {"config": config}), 201) == {"config": {
        "ldap": {"url": "ldap://x"}}}
    assert "password" not in expect(api("GET", f"{path}/ldap"), 200)["config"]["ldap"]
    expect(api("GET", f"{path}/ldap/password"), 404)
    with cloud.identity.db.reader() as conn:
        row = conn.execute(sa.select(domain_config_options).where(
            domain_config_options.c.domain_id == domain.id,
            domain_config_options.c.option_name == "password")).one()
    assert row.value is None and "s3cret" not in row.encrypted_value
    assert cloud.identity.decrypt(row.encrypted_value) == b'"s3cret-bind"'
    shown = expect(api("PATCH", f"{path}/ldap/password", {"config": {"password": "new"}}), 200)
    assert shown == {"config": {"ldap": {"url": "ldap://x"}}}
    assert api("DELETE", f"{path}/ldap/password").status_code == 204
    expect(api("DELETE", f"{path}/ldap/password"), 404)


def test_domain_config_refusals(api, domain):
    path = f"/v3/domains/{domain.id}/config"
    for config in ({}, {"assignment": {"driver": "sql"}}, {"ldap": {"bogus": 1}},
                   {"ldap": {}}, {"ldap": "ldap://x"}):
        expect(api("PUT", path, {"config": config}), 403)
    for body in ({}, {"config": []}, {"config": CONFIG, "extra": 1}):
        expect(api("PUT", path, body), 400)
    expect(api("PUT", path, content=b"{"), 400)
    expect(api("PUT", "/v3/domains/nope/config", {"config": CONFIG}), 404)
    expect(api("GET", "/v3/domains/nope/config"), 404)
    expect(api("GET", f"{path}/assignment"), 403)
    expect(api("GET", f"{path}/ldap/bogus"), 403)

    expect(api("PUT", path, {"config": CONFIG}), 201)
    expect(api("PATCH", f"{path}/identity", {"config": {"ldap": {"url": "x"}}}), 403)
    expect(api("PATCH", f"{path}/identity", {"config": CONFIG}), 403)
    expect(api("PATCH", f"{path}/ldap/url", {"config": {"url": "a", "suffix": "b"}}), 403)
    expect(api("PATCH", f"{path}/ldap/suffix", {"config": {"suffix": "b"}}), 404)
    expect(api("PATCH", f"{path}/ldap/url", {"config": "ldap://x"}), 400)
    expect(api("DELETE", f"{path}/assignment"), 403)


def test_domain_config_goes_with_the_domain(cloud, api, admin):
    dom = admin.identity.create_domain(name=unique("dom"))
    expect(api("PUT", f"/v3/domains/{dom.id}/config", {"config": CONFIG}), 201)
    admin.identity.update_domain(dom, enabled=False)
    admin.identity.delete_domain(dom)
    with cloud.identity.db.reader() as conn:
        left = conn.execute(sa.select(domain_config_options)
                            .where(domain_config_options.c.domain_id == dom.id)).all()
    assert left == []


def test_default_config(api):
    defaults = expect(api("GET", "/v3/domains/config/default"), 200)["config"]
    assert set(defaults) == {"identity", "ldap"}
    assert defaults["identity"] == {"driver": "sql", "list_limit": None}
    assert "password" not in defaults["ldap"] and defaults["ldap"]["url"] == "ldap://localhost"
    assert expect(api("GET", "/v3/domains/config/ldap/default"), 200) == {
        "config": {"ldap": defaults["ldap"]}}
    assert expect(api("GET", "/v3/domains/config/ldap/pool_size/default"), 200) == {
        "config": {"pool_size": 10}}
    assert api("HEAD", "/v3/domains/config/default").status_code == 200
    expect(api("GET", "/v3/domains/config/ldap/password/default"), 403)
    expect(api("GET", "/v3/domains/config/assignment/default"), 403)
    expect(api("GET", "/v3/domains/config/ldap/bogus/default"), 403)


def test_security_compliance(api, member_api, domain):
    path = "/v3/domains/default/config/security_compliance"
    expected = {"password_regex": None, "password_regex_description": None}
    assert expect(api("GET", path), 200) == {"config": {"security_compliance": expected}}
    assert expect(member_api("GET", f"{path}/password_regex"), 200) == {
        "config": {"password_regex": None}}
    expect(api("GET", f"{path}/lockout_duration"), 403)
    expect(api("GET", f"/v3/domains/{domain.id}/config/security_compliance"), 403)


# -- who may -----------------------------------------------------------------------------

def test_members_are_refused(member_api, api, service, project, domain):
    group = new_group(api, service)
    consumer = expect(api("POST", "/v3/OS-OAUTH1/consumers", {"consumer": {}}), 201)["consumer"]
    body = {"endpoint_group": {"name": "g", "filters": {"interface": "public"}}}
    for method, path, json in [
        ("GET", f"{EP}/endpoint_groups", None),
        ("POST", f"{EP}/endpoint_groups", body),
        ("GET", f"{EP}/endpoint_groups/{group['id']}", None),
        ("PATCH", f"{EP}/endpoint_groups/{group['id']}", body),
        ("DELETE", f"{EP}/endpoint_groups/{group['id']}", None),
        ("PUT", f"{EP}/endpoint_groups/{group['id']}/projects/{project.id}", None),
        ("GET", f"{EP}/projects/{project.id}/endpoints", None),
        ("GET", "/v3/OS-OAUTH1/consumers", None),
        ("POST", "/v3/OS-OAUTH1/consumers", {"consumer": {}}),
        ("GET", f"/v3/OS-OAUTH1/consumers/{consumer['id']}", None),
        ("DELETE", f"/v3/OS-OAUTH1/consumers/{consumer['id']}", None),
        ("GET", f"/v3/domains/{domain.id}/config", None),
        ("PUT", f"/v3/domains/{domain.id}/config", {"config": CONFIG}),
        ("GET", "/v3/domains/nope/config", None),
        ("GET", "/v3/domains/config/default", None),
    ]:
        error = expect(member_api(method, path, json), 403)
        assert "identity:" in error["message"], (method, path)
    api("DELETE", f"{EP}/endpoint_groups/{group['id']}")
    api("DELETE", f"/v3/OS-OAUTH1/consumers/{consumer['id']}")
