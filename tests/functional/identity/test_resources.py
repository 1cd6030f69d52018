"""Domains, projects, users, groups, roles and grants through openstacksdk."""

from __future__ import annotations

import httpx
import pytest
from openstack import exceptions as sdk_exc

from tests.functional.identity.conftest import unique


def test_domain_lifecycle(admin):
    domain = admin.identity.create_domain(name=unique("dom"), description="d")
    assert domain.is_enabled and domain.description == "d"
    found = admin.identity.get_domain(domain.id)
    assert found.name == domain.name
    assert domain.id in [d.id for d in admin.identity.domains()]
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_domain(name=domain.name)
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_domain(domain)  # still enabled
    admin.identity.update_domain(domain, enabled=False, description="gone")
    assert admin.identity.get_domain(domain.id).description == "gone"
    admin.identity.delete_domain(domain)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_domain(domain.id)


def test_deleting_a_domain_removes_what_is_in_it(admin):
    domain = admin.identity.create_domain(name=unique("dom"))
    project = admin.identity.create_project(name="p", domain_id=domain.id)
    user = admin.identity.create_user(name="u", domain_id=domain.id, password="x")
    group = admin.identity.create_group(name="g", domain_id=domain.id)
    admin.identity.update_domain(domain, enabled=False)
    admin.identity.delete_domain(domain)
    for getter, ref in ((admin.identity.get_project, project), (admin.identity.get_user, user),
                        (admin.identity.get_group, group)):
        with pytest.raises(sdk_exc.NotFoundException):
            getter(ref.id)


def test_project_lifecycle_and_hierarchy(admin):
    parent = admin.identity.create_project(name=unique("parent"), domain_id="default",
                                           description="top", tags=["a", "b"])
    assert parent.parent_id == "default" and parent.domain_id == "default"
    assert sorted(parent.tags) == ["a", "b"]
    child = admin.identity.create_project(name=unique("child"), parent_id=parent.id)
    assert child.parent_id == parent.id and child.domain_id == "default"
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_project(name=child.name, domain_id="default")
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_project(parent)  # not a leaf
    children = list(admin.identity.projects(parent_id=parent.id))
    assert [p.id for p in children] == [child.id]
    admin.identity.update_project(child, description="new", enabled=False)
    assert admin.identity.get_project(child.id).description == "new"
    assert child.id in [p.id for p in admin.identity.projects(enabled=False)]
    admin.identity.delete_project(child)
    admin.identity.delete_project(parent)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_project(parent.id)


def test_project_tags_and_tag_filters(cloud, admin):
    tagged = admin.identity.create_project(name=unique("t"), domain_id="default",
                                           tags=["red", "blue"])
    other = admin.identity.create_project(name=unique("t"), domain_id="default", tags=["red"])
    url = f"{cloud.auth_url}/v3/projects"
    sess = admin.session
    ids = lambda **q: {p["id"] for p in sess.get(url, params=q).json()["projects"]}  # noqa: E731
    assert tagged.id in ids(tags="red,blue") and other.id not in ids(tags="red,blue")
    assert {tagged.id, other.id} <= ids(**{"tags-any": "blue,red"})
    assert other.id in ids(**{"not-tags": "red,blue"}) and tagged.id not in ids(**{"not-tags": "red,blue"})
    assert tagged.id not in ids(**{"not-tags-any": "blue"})
    tag_url = f"{url}/{tagged.id}/tags"
    assert sess.put(f"{tag_url}/green").status_code == 201
    assert sess.get(f"{tag_url}/green", raise_exc=False).status_code == 204
    assert sorted(sess.get(tag_url).json()["tags"]) == ["blue", "green", "red"]
    assert sess.put(tag_url, json={"tags": ["x"]}).json() == {"tags": ["x"]}
    assert sess.delete(f"{tag_url}/x").status_code == 204
    assert sess.get(f"{tag_url}/x", raise_exc=False).status_code == 404
    assert sess.put(tag_url, json={"tags": ["a/b"]}, raise_exc=False).status_code == 400
    for project in (tagged, other):
        admin.identity.delete_project(project)


def test_user_lifecycle(cloud, admin):
    project = admin.identity.create_project(name=unique("p"), domain_id="default")
    user = admin.identity.create_user(name=unique("u"), password="pw", email="a@b.c",
                                      description="someone", default_project_id=project.id)
    assert user.domain_id == "default" and user.is_enabled
    shown = admin.session.get(f"{cloud.auth_url}/v3/users/{user.id}").json()["user"]
    assert shown["email"] == "a@b.c" and shown["description"] == "someone"
    assert shown["default_project_id"] == project.id
    assert shown["password_expires_at"] is None
    assert "password" not in shown and "password_hash" not in shown
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_user(name=user.name, domain_id="default")
    assert [u.id for u in admin.identity.users(name=user.name)] == [user.id]
    admin.identity.update_user(user, email="new@b.c", enabled=False)
    assert admin.identity.get_user(user.id).email == "new@b.c"
    admin.identity.delete_user(user)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_user(user.id)
    admin.identity.delete_project(project)


def test_groups_and_membership(admin):
    group = admin.identity.create_group(name=unique("g"), description="grp")
    user = admin.identity.create_user(name=unique("u"), password="pw")
    admin.identity.add_user_to_group(user, group)
    assert admin.identity.check_user_in_group(user, group)
    assert [u.id for u in admin.identity.group_users(group)] == [user.id]
    assert [g.id for g in admin.identity.user_groups(user)] == [group.id]
    admin.identity.remove_user_from_group(user, group)
    assert not admin.identity.check_user_in_group(user, group)
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_group(name=group.name, domain_id="default")
    admin.identity.delete_group(group)
    admin.identity.delete_user(user)


def test_roles_and_implications(cloud, admin):
    prior = admin.identity.create_role(name=unique("prior"))
    implied = admin.identity.create_role(name=unique("implied"))
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_role(name=prior.name)
    sess, base = admin.session, f"{cloud.auth_url}/v3/roles"
    resp = sess.put(f"{base}/{prior.id}/implies/{implied.id}")
    assert resp.status_code == 201
    assert resp.json()["role_inference"]["implies"]["id"] == implied.id
    listed = sess.get(f"{base}/{prior.id}/implies").json()["role_inference"]
    assert [r["id"] for r in listed["implies"]] == [implied.id]
    loop = sess.put(f"{base}/{implied.id}/implies/{prior.id}", raise_exc=False)
    assert loop.status_code == 403
    inferences = sess.get(f"{cloud.auth_url}/v3/role_inferences").json()["role_inferences"]
    names = {i["prior_role"]["name"]: [r["name"] for r in i["implies"]] for i in inferences}
    assert names["admin"] == ["manager"] and names["member"] == ["reader"]
    assert sess.delete(f"{base}/{prior.id}/implies/{implied.id}").status_code == 204
    assert sess.head(f"{base}/{prior.id}/implies/{implied.id}",
                     raise_exc=False).status_code == 404
    admin.identity.delete_role(prior)
    admin.identity.delete_role(implied)


def test_domain_specific_roles_stay_in_their_domain(cloud, admin):
    domain = admin.identity.create_domain(name=unique("dom"))
    role = admin.identity.create_role(name="local", domain_id=domain.id)
    assert role.domain_id == domain.id
    assert role.id not in [r.id for r in admin.identity.roles()]
    assert [r.id for r in admin.identity.roles(domain_id=domain.id)] == [role.id]
    project = admin.identity.create_project(name=unique("p"), domain_id="default")
    user = admin.identity.create_user(name=unique("u"), password="pw")
    resp = admin.session.put(
        f"{cloud.auth_url}/v3/projects/{project.id}/users/{user.id}/roles/{role.id}",
        raise_exc=False)
    assert resp.status_code == 403
    assert not admin.identity.validate_user_has_project_role(project, user, role)
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)
    admin.identity.update_domain(domain, enabled=False)
    admin.identity.delete_domain(domain)


def test_grants_and_role_assignments(cloud, admin):
    member = admin.identity.find_role("member")
    reader = admin.identity.find_role("reader")
    project = admin.identity.create_project(name=unique("p"), domain_id="default")
    user = admin.identity.create_user(name=unique("u"), password="pw")
    group = admin.identity.create_group(name=unique("g"))
    admin.identity.add_user_to_group(user, group)
    admin.identity.assign_project_role_to_user(project, user, member)
    admin.identity.assign_project_role_to_group(project, group, reader)
    assert admin.identity.validate_user_has_project_role(project, user, member)
    assert not admin.identity.validate_user_has_project_role(project, user, reader)

    base = f"{cloud.auth_url}/v3/role_assignments"
    direct = admin.session.get(base, params={"scope.project.id": project.id}).json()
    kinds = sorted(("user" if "user" in a else "group", a["role"]["id"])
                   for a in direct["role_assignments"])
    assert kinds == sorted([("user", member.id), ("group", reader.id)])

    effective = admin.session.get(base + "?effective&include_names", params={
        "user.id": user.id}).json()["role_assignments"]
    got = {(a["role"]["name"], a["scope"]["project"]["name"]) for a in effective}
    assert got == {("member", project.name), ("reader", project.name)}
    via_group = [a for a in effective if "membership" in a["links"]]
    assert via_group and via_group[0]["links"]["membership"].endswith(
        f"/v3/groups/{group.id}/users/{user.id}")
    implied = [a for a in effective if "prior_role" in a["links"]]
    assert implied and implied[0]["links"]["prior_role"].endswith(f"/v3/roles/{member.id}")
    assert effective[0]["user"]["domain"] == {"id": "default", "name": "Default"}

    bad = admin.session.get(base + "?effective", params={"group.id": group.id}, raise_exc=False)
    assert bad.status_code == 400

    admin.identity.unassign_project_role_from_user(project, user, member)
    assert not admin.identity.validate_user_has_project_role(project, user, member)
    for ref, deleter in ((user, admin.identity.delete_user), (group, admin.identity.delete_group),
                         (project, admin.identity.delete_project)):
        deleter(ref)


def test_inherited_grants_reach_subprojects(cloud, admin):
    member = admin.identity.find_role("member")
    parent = admin.identity.create_project(name=unique("parent"), domain_id="default")
    child = admin.identity.create_project(name=unique("child"), parent_id=parent.id)
    user = admin.identity.create_user(name=unique("u"), password="pw")
    sess = admin.session
    grant = (f"{cloud.auth_url}/v3/OS-INHERIT/projects/{parent.id}/users/{user.id}/roles/"
             f"{member.id}/inherited_to_projects")
    assert sess.put(grant).status_code == 204
    assert sess.head(grant).status_code == 204
    token = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user.id,
                                                                     "password": "pw"}}},
        "scope": {"project": {"id": child.id}}}})
    assert token.status_code == 201
    assert {r["name"] for r in token.json()["token"]["roles"]} == {"member", "reader"}
    on_parent = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user.id,
                                                                     "password": "pw"}}},
        "scope": {"project": {"id": parent.id}}}})
    assert on_parent.status_code == 401  # inherited grants skip their own target
    projects = sess.get(f"{cloud.auth_url}/v3/users/{user.id}/projects").json()["projects"]
    assert [p["id"] for p in projects] == [child.id]
    assert sess.delete(grant).status_code == 204
    admin.identity.delete_user(user)
    admin.identity.delete_project(child)
    admin.identity.delete_project(parent)


def test_catalog_resources(cloud, admin):
    region = admin.identity.create_region(id=unique("region"), description="r")
    service = admin.identity.create_service(type=unique("svc"), name="svc", description="s")
    endpoint = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://example.test/x", region_id=region.id)
    assert endpoint.region_id == region.id
    assert [e.id for e in admin.identity.endpoints(service_id=service.id)] == [endpoint.id]
    token = admin.session.get(f"{cloud.auth_url}/v3/auth/catalog").json()["catalog"]
    assert service.id in [s["id"] for s in token]
    admin.identity.update_service(service, enabled=False)
    token = admin.session.get(f"{cloud.auth_url}/v3/auth/catalog").json()["catalog"]
    assert service.id not in [s["id"] for s in token]
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_endpoint(service_id=service.id, interface="sideways",
                                       url="http://example.test/x")
    admin.identity.delete_service(service)  # takes its endpoints with it
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_endpoint(endpoint.id)
    admin.identity.delete_region(region)
