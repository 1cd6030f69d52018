"""A member of one project can read nothing of another, and nothing admin-only."""

from __future__ import annotations

import pytest

from tests.functional.identity.conftest import connect


def get(person, cloud, path, **kw):
    return person.conn.session.get(f"{cloud.auth_url}{path}", raise_exc=False, **kw)


@pytest.mark.parametrize("path", [
    "/v3/projects/{other_project}",
    "/v3/projects/{other_project}/tags",
    "/v3/users/{other_user}",
    "/v3/users/{other_user}/projects",
    "/v3/users/{other_user}/groups",
    "/v3/users/{other_user}/application_credentials",
    "/v3/users/{other_user}/credentials/OS-EC2",
    "/v3/projects",
    "/v3/users",
    "/v3/groups",
    "/v3/role_assignments",
    "/v3/role_assignments?scope.project.id={other_project}",
    "/v3/projects/{other_project}/users/{other_user}/roles",
    "/v3/services",
    "/v3/endpoints",
    "/v3/system/users/{other_user}/roles",
    "/v3/credentials/{fake}",
])
def test_member_cannot_read_another_project(cloud, make_person, path):
    alice, bob = make_person(), make_person()
    resp = get(alice, cloud, path.format(other_project=bob.project.id,
                                         other_user=bob.user.id, fake="0" * 64))
    assert resp.status_code in (403, 404), resp.text
    assert bob.project.id not in resp.text and bob.user.id not in resp.text.replace(
        path.format(other_project=bob.project.id, other_user=bob.user.id, fake=""), "")


def test_member_sees_own_things(cloud, make_person):
    alice = make_person()
    assert get(alice, cloud, f"/v3/projects/{alice.project.id}").status_code == 200
    assert get(alice, cloud, f"/v3/users/{alice.user.id}").status_code == 200
    assert get(alice, cloud, "/v3/domains/default").status_code == 200
    projects = get(alice, cloud, f"/v3/users/{alice.user.id}/projects").json()["projects"]
    assert [p["id"] for p in projects] == [alice.project.id]


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v3/projects", {"project": {"name": "x"}}),
    ("POST", "/v3/users", {"user": {"name": "x"}}),
    ("POST", "/v3/domains", {"domain": {"name": "x"}}),
    ("POST", "/v3/roles", {"role": {"name": "x"}}),
    ("PATCH", "/v3/projects/{own_project}", {"project": {"description": "x"}}),
    ("DELETE", "/v3/projects/{own_project}", None),
    ("PUT", "/v3/projects/{own_project}/users/{own_user}/roles/{admin_role}", None),
    ("PATCH", "/v3/users/{own_user}", {"user": {"enabled": True}}),
])
def test_member_cannot_administer(cloud, admin, make_person, method, path, body):
    alice = make_person()
    url = cloud.auth_url + path.format(own_project=alice.project.id, own_user=alice.user.id,
                                       admin_role=admin.identity.find_role("admin").id)
    resp = alice.conn.session.request(url, method, json=body, raise_exc=False)
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["message"].startswith(
        "You are not authorized to perform the requested action: identity:")


def test_reader_cannot_create_ec2_credentials_but_member_can(cloud, make_person):
    reader, member = make_person("reader"), make_person("member")
    body = lambda p: {"tenant_id": p.project.id}  # noqa: E731
    url = lambda p: f"{cloud.auth_url}/v3/users/{p.user.id}/credentials/OS-EC2"  # noqa: E731
    assert reader.conn.session.post(url(reader), json=body(reader),
                                    raise_exc=False).status_code == 403
    assert member.conn.session.post(url(member), json=body(member)).status_code == 201


def test_service_persona_validates_tokens_but_administers_nothing(cloud, make_person):
    service, alice = make_person("service"), make_person()
    subject = alice.conn.session.get_token()
    resp = service.conn.session.get(f"{cloud.auth_url}/v3/auth/tokens",
                                    headers={"X-Subject-Token": subject})
    assert resp.json()["token"]["user"]["id"] == alice.user.id
    denied = service.conn.session.post(f"{cloud.auth_url}/v3/projects",
                                       json={"project": {"name": "nope"}}, raise_exc=False)
    assert denied.status_code == 403
    other = alice.conn.session.get(f"{cloud.auth_url}/v3/auth/tokens", raise_exc=False,
                                   headers={"X-Subject-Token": service.conn.session.get_token()})
    assert other.status_code == 403  # a member may only validate its own tokens


def test_manager_persona_manages_projects_in_its_domain_only(cloud, admin, make_person):
    manager = make_person("manager")
    admin.identity.assign_domain_role_to_user("default", manager.user,
                                              admin.identity.find_role("manager"))
    domain_conn = connect(cloud, manager.user.name, manager.password, project=None)
    sess = domain_conn.session
    sess.auth.domain_id = "default"
    created = sess.post(f"{cloud.auth_url}/v3/projects",
                        json={"project": {"name": "by-manager", "domain_id": "default"}})
    assert created.status_code == 201
    other = admin.identity.create_domain(name="elsewhere-" + manager.user.id[:6])
    denied = sess.post(f"{cloud.auth_url}/v3/projects", raise_exc=False,
                       json={"project": {"name": "x", "domain_id": other.id}})
    assert denied.status_code == 403
    admin.identity.delete_project(created.json()["project"]["id"])
    admin.identity.update_domain(other, enabled=False)
    admin.identity.delete_domain(other)
