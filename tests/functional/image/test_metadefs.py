"""Metadata definitions (/v2/metadefs) through openstacksdk and raw HTTP:
namespaces and their contents (objects, properties, tags, resource type
associations), resource types, listing, visibility between projects,
policy, errors and the schemas; the flows Tempest's metadefs tests run."""

from __future__ import annotations

import re
import uuid
from typing import Any

import openstack
import pytest

from tests.functional.image import meta_fixtures
from tests.functional.image.meta_fixtures import Person

cloud = meta_fixtures.cloud
admin = meta_fixtures.admin
make_person = meta_fixtures.make_person

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STANDARD_TYPES = ["OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",
                  "OS::Nova::Aggregate", "OS::Nova::Server"]
NS = "/metadefs/namespaces"


@pytest.fixture(scope="module")
def alice(make_person: Any) -> Person:
    return make_person()


@pytest.fixture(scope="module")
def bob(make_person: Any) -> Person:
    return make_person()


def _name(prefix: str = "ns") -> str:
    return f"Test::{prefix}-{uuid.uuid4().hex[:8]}"


def new_namespace(person: Person, **attrs: Any) -> dict[str, Any]:
    body = {"namespace": _name(), "visibility": "public", **attrs}
    resp = person.http("POST", NS, json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def names(resp: Any, key: str) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [item["name"] for item in resp.json()[key]]


# --- resource types and namespaces ---------------------------------------------------


def test_standard_resource_types_are_listed(admin: Person, alice: Person) -> None:
    listed = [rt.name for rt in admin.conn.image.metadef_resource_types()]
    assert listed[:len(STANDARD_TYPES)] == STANDARD_TYPES
    body = alice.http("GET", "/metadefs/resource_types").json()
    first = body["resource_types"][0]
    assert set(first) == {"name", "created_at", "updated_at"}
    assert ISO.match(first["created_at"])


def test_namespace_lifecycle_as_tempest_runs_it(admin: Person) -> None:
    """Create protected and public, list, show, refuse the delete, update to
    private and unprotected, delete."""
    resource = admin.http("GET", "/metadefs/resource_types").json()["resource_types"][0]["name"]
    name = _name()
    created = new_namespace(admin, namespace=name, description="Tempest", display_name=name,
                            protected=True, resource_type_associations=[{"name": resource}])
    assert created["self"] == f"/v2/metadefs/namespaces/{name}"
    assert created["schema"] == "/v2/schemas/metadefs/namespace"
    assert created["owner"] == admin.project_id and created["protected"] is True
    assert [a["name"] for a in created["resource_type_associations"]] == [resource]
    assert ISO.match(created["created_at"]) and ISO.match(created["updated_at"])
    assert name in [ns["namespace"] for ns in admin.http("GET", NS).json()["namespaces"]]
    shown = admin.http("GET", f"{NS}/{name}").json()
    assert shown["namespace"] == name and shown["visibility"] == "public"
    refused = admin.http("DELETE", f"{NS}/{name}")
    assert refused.status_code == 403
    assert "is protected and cannot be deleted" in refused.json()["message"]
    updated = admin.http("PUT", f"{NS}/{name}", json={
        "namespace": name, "description": "Tempest", "visibility": "private",
        "display_name": name, "protected": False})
    assert updated.status_code == 200, updated.text
    assert updated.json()["visibility"] == "private" and updated.json()["protected"] is False
    assert admin.http("DELETE", f"{NS}/{name}").status_code == 204
    assert admin.http("GET", f"{NS}/{name}").status_code == 404


def test_namespace_through_openstacksdk(admin: Person) -> None:
    image = admin.conn.image
    name = _name("sdk")
    ns = image.create_metadef_namespace(namespace=name, display_name="SDK",
                                        visibility="public", is_protected=False)
    assert ns.namespace == name and ns.visibility == "public"
    image.update_metadef_namespace(name, namespace=name, display_name="Renamed",
                                   visibility="public")
    assert image.get_metadef_namespace(name).display_name == "Renamed"
    assert name in [n.namespace for n in image.metadef_namespaces()]
    image.create_metadef_resource_type_association(name, name="OS::Nova::Flavor",
                                                   prefix="hw:")
    assocs = list(image.metadef_resource_type_associations(name))
    assert [(a.name, a.prefix) for a in assocs] == [("OS::Nova::Flavor", "hw:")]
    image.delete_metadef_namespace(name, ignore_missing=False)
    with pytest.raises(openstack.exceptions.NotFoundException):
        image.get_metadef_namespace(name)


def test_create_with_contents_and_show_with_prefix(admin: Person) -> None:
    prop = {"title": "CPU policy", "type": "string", "enum": ["shared", "dedicated"]}
    name = _name()
    new_namespace(admin, namespace=name, properties={"cpu_policy": prop},
                  objects=[{"name": "CPU", "required": ["cpu_policy"],
                            "properties": {"cpu_policy": prop}}],
                  tags=[{"name": "fast"}, {"name": "slow"}],
                  resource_type_associations=[
                      {"name": "OS::Glance::Image", "prefix": "hw_"},
                      {"name": "OS::Cinder::Volume", "prefix": "hw_",
                       "properties_target": "image"}])
    shown = admin.http("GET", f"{NS}/{name}").json()
    assert shown["properties"] == {"cpu_policy": prop}
    assert [t["name"] for t in shown["tags"]] == ["fast", "slow"]
    [obj] = shown["objects"]
    assert obj["required"] == ["cpu_policy"] and obj["properties"] == {"cpu_policy": prop}
    assert obj["self"] == f"/v2/metadefs/namespaces/{name}/objects/CPU"
    targets = {a["name"]: a.get("properties_target") for a in
               shown["resource_type_associations"]}
    assert targets == {"OS::Glance::Image": None, "OS::Cinder::Volume": "image"}
    prefixed = admin.http("GET", f"{NS}/{name}?resource_type=OS::Glance::Image").json()
    assert list(prefixed["properties"]) == ["hw_cpu_policy"]
    assert prefixed["objects"][0]["required"] == ["hw_cpu_policy"]
    assert list(prefixed["objects"][0]["properties"]) == ["hw_cpu_policy"]
    # A namespace without contents shows none of those keys.
    bare = new_namespace(admin)
    shown = admin.http("GET", f"{NS}/{bare['namespace']}").json()
    assert not {"properties", "objects", "tags", "resource_type_associations"} & set(shown)


@pytest.mark.parametrize("body, status, text", [
    ({}, 400, "does not match schema 'namespace'"),
    ({"namespace": "x" * 81}, 400, "does not match schema"),
    ({"namespace": "n", "visibility": "shared"}, 400, "does not match schema"),
    ({"namespace": "n", "colour": "red"}, 400, "does not match schema"),
    ({"namespace": "n", "self": "/x"}, 403, "Attribute 'self' is read-only."),
    ({"namespace": "n", "created_at": "now"}, 403, "Attribute 'created_at' is read-only."),
    ({"namespace": "n", "properties": {"p": {"type": "string"}}}, 400, "title"),
])
def test_bad_namespace_bodies(admin: Person, body: dict[str, Any], status: int,
                              text: str) -> None:
    resp = admin.http("POST", NS, json=body)
    assert resp.status_code == status, resp.text
    assert text in resp.json()["message"]


def test_duplicate_names_conflict(admin: Person) -> None:
    first, second = new_namespace(admin), new_namespace(admin)
    again = admin.http("POST", NS, json={"namespace": first["namespace"]})
    assert again.status_code == 409
    assert f"namespace={first['namespace']} already exists" in again.json()["message"]
    renamed = admin.http("PUT", f"{NS}/{second['namespace']}",
                         json={"namespace": first["namespace"]})
    assert renamed.status_code == 409
    dup_objects = admin.http("POST", NS, json={"namespace": _name(),
                                               "objects": [{"name": "o"}, {"name": "o"}]})
    assert dup_objects.status_code == 409


def test_update_resets_what_is_left_out_and_renames(admin: Person) -> None:
    ns = new_namespace(admin, display_name="D", description="about", protected=True)
    new = _name("renamed")
    resp = admin.http("PUT", f"{NS}/{ns['namespace']}", json={"namespace": new})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["namespace"] == new and body["visibility"] == "private"
    assert body["protected"] is False and "display_name" not in body
    assert body["self"] == f"/v2/metadefs/namespaces/{new}"
    assert admin.http("GET", f"{NS}/{ns['namespace']}").status_code == 404
    assert admin.http("PUT", f"{NS}/Test::missing", json={"namespace": "x"}).status_code == 404


# --- visibility and policy --------------------------------------------------------------


def test_private_namespaces_are_only_seen_by_their_project(admin: Person, alice: Person,
                                                         bob: Person) -> None:
    private = new_namespace(admin, visibility="private", owner=alice.project_id)
    public = new_namespace(admin, visibility="public", owner=alice.project_id)
    path = f"{NS}/{private['namespace']}"
    assert alice.http("GET", path).status_code == 200
    assert bob.http("GET", path).status_code == 404
    for sub in ("/objects", "/properties", "/tags", "/resource_types"):
        assert bob.http("GET", path + sub).status_code == 404
    assert bob.http("GET", f"{NS}/{public['namespace']}").status_code == 200
    bob_sees = [n["namespace"] for n in bob.http("GET", f"{NS}?limit=1000").json()["namespaces"]]
    alice_sees = [n["namespace"] for n in
                  alice.http("GET", f"{NS}?limit=1000").json()["namespaces"]]
    assert public["namespace"] in bob_sees and private["namespace"] not in bob_sees
    assert {public["namespace"], private["namespace"]} <= set(alice_sees)
    # Writing to the namespace they cannot see is a 404, to one they can a 403.
    assert bob.http("DELETE", path).status_code == 404
    assert alice.http("DELETE", path).status_code == 403
    assert bob.http("POST", f"{NS}/{public['namespace']}/tags/t").status_code == 403
    # Only admins create namespaces (metadef_admin).
    created = alice.http("POST", NS, json={"namespace": _name()})
    assert created.status_code == 403
    assert "add_metadef_namespace" in created.json()["message"]


def test_listing_filters_sorting_and_paging(admin: Person) -> None:
    mark = uuid.uuid4().hex[:6]
    made = [new_namespace(admin, namespace=f"Test::page-{mark}-{i}", visibility=vis,
                          resource_type_associations=[{"name": f"Test::Type-{mark}"}])
            for i, vis in enumerate(("public", "private", "public"))]
    query = f"resource_types=Test::Type-{mark}"
    listed = admin.http("GET", f"{NS}?{query}&sort_key=namespace&sort_dir=asc").json()
    assert [n["namespace"] for n in listed["namespaces"]] == [m["namespace"] for m in made]
    assert listed["first"].startswith("/v2/metadefs/namespaces?")
    assert listed["schema"] == "/v2/schemas/metadefs/namespaces" and "next" not in listed
    public = admin.http("GET", f"{NS}?{query}&visibility=public").json()["namespaces"]
    assert {n["namespace"] for n in public} == {made[0]["namespace"], made[2]["namespace"]}
    page = admin.http("GET", f"{NS}?{query}&sort_key=namespace&sort_dir=asc&limit=2").json()
    assert [n["namespace"] for n in page["namespaces"]] == [m["namespace"] for m in made[:2]]
    nxt = admin.http("GET", page["next"].removeprefix("/v2")).json()
    assert [n["namespace"] for n in nxt["namespaces"]] == [made[2]["namespace"]]
    assert admin.http("GET", f"{NS}?visibility=shared").status_code == 400
    assert admin.http("GET", f"{NS}?sort_dir=up").status_code == 400
    assert admin.http("GET", f"{NS}?limit=x").status_code == 400
    assert admin.http("GET", f"{NS}?marker=Test::nothing").status_code == 404
    # The resource type named in the association now exists.
    types = names(admin.http("GET", "/metadefs/resource_types"), "resource_types")
    assert f"Test::Type-{mark}" in types


# --- objects ---------------------------------------------------------------------------


def test_objects(admin: Person) -> None:
    ns = new_namespace(admin)["namespace"]
    base = f"{NS}/{ns}/objects"
    created = admin.http("POST", base, json={"name": "obj", "description": "d"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "obj" and body["required"] == [] and body["properties"] == {}
    assert body["schema"] == "/v2/schemas/metadefs/object"
    assert admin.http("POST", base, json={"name": "obj"}).status_code == 409
    listed = admin.http("GET", base).json()
    assert [o["name"] for o in listed["objects"]] == ["obj"]
    assert listed["schema"] == "v2/schemas/metadefs/objects"
    assert admin.http("GET", f"{base}/obj").json()["description"] == "d"
    renamed = admin.http("PUT", f"{base}/obj", json={"name": "obj2"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "obj2"
    assert "description" not in renamed.json()
    assert admin.http("GET", f"{base}/obj").status_code == 404
    bad = admin.http("POST", base, json={"name": "p", "properties": {"x": {"type": "int"}}})
    assert bad.status_code == 400
    assert admin.http("DELETE", f"{base}/obj2").status_code == 204
    assert admin.http("GET", base).json()["objects"] == []
    missing = admin.http("DELETE", f"{base}/obj2")
    assert missing.status_code == 404 and "name=obj2 was not found" in missing.json()["message"]


def test_objects_through_openstacksdk(admin: Person) -> None:
    image = admin.conn.image
    ns = new_namespace(admin)["namespace"]
    image.create_metadef_object(ns, name="sdk-obj", description="first")
    assert [o.name for o in image.metadef_objects(ns)] == ["sdk-obj"]
    assert image.get_metadef_object("sdk-obj", ns).description == "first"
    image.delete_all_metadef_objects(ns)
    assert list(image.metadef_objects(ns)) == []


# --- properties --------------------------------------------------------------------------


def test_properties(admin: Person) -> None:
    enum = ["xen", "qemu", "kvm"]
    ns = new_namespace(admin, resource_type_associations=[
        {"name": "OS::Glance::Image", "prefix": "hw_"}])["namespace"]
    base = f"{NS}/{ns}/properties"
    created = admin.http("POST", base, json={"name": "hv", "title": "Hypervisor",
                                             "type": "string", "enum": enum})
    assert created.status_code == 201, created.text
    assert created.json() == {"name": "hv", "title": "Hypervisor", "type": "string",
                              "enum": enum}
    assert admin.http("POST", base, json={"name": "hv", "title": "t",
                                          "type": "string"}).status_code == 409
    assert admin.http("POST", base, json={"name": "x", "type": "string"}).status_code == 400
    assert admin.http("GET", base).json() == {
        "properties": {"hv": {"title": "Hypervisor", "type": "string", "enum": enum}}}
    assert admin.http("GET", f"{base}/hv").json()["title"] == "Hypervisor"
    by_prefix = admin.http("GET", f"{base}/hw_hv?resource_type=OS::Glance::Image")
    assert by_prefix.status_code == 200 and by_prefix.json()["name"] == "hv"
    assert admin.http("GET", f"{base}/hv?resource_type=OS::Glance::Image").status_code == 404
    updated = admin.http("PUT", f"{base}/hv", json={"name": "hv", "title": "New",
                                                    "type": "string", "enum": enum})
    assert updated.status_code == 200 and updated.json()["title"] == "New"
    assert admin.http("DELETE", f"{base}/hv").status_code == 204
    assert admin.http("GET", base).json() == {"properties": {}}
    assert admin.http("GET", f"{base}/hv").status_code == 404


# --- tags ------------------------------------------------------------------------------


def test_tags(admin: Person) -> None:
    ns = new_namespace(admin)["namespace"]
    base = f"{NS}/{ns}/tags"
    given = [{"name": "sample-tag1"}, {"name": "sample-tag2"}, {"name": "sample-tag3"}]
    created = admin.http("POST", base, json={"tags": given})
    assert created.status_code == 201 and created.json() == {"tags": given}
    assert sorted(names(admin.http("GET", base), "tags")) == [t["name"] for t in given]
    # Without X-Openstack-Append, a batch replaces the tags; with it, adds.
    admin.http("POST", base, json={"tags": [{"name": "only"}]})
    assert names(admin.http("GET", base), "tags") == ["only"]
    resp = admin.conn.session.request(admin.base + base, "POST", json={"tags": [
        {"name": "more"}]}, headers={"X-Openstack-Append": "true"}, raise_exc=False)
    assert resp.status_code == 201
    assert sorted(names(admin.http("GET", base), "tags")) == ["more", "only"]
    assert names(admin.http("GET", f"{base}?sort_key=name&sort_dir=asc&limit=1"),
                 "tags") == ["more"]
    assert names(admin.http("GET", f"{base}?sort_key=name&sort_dir=asc&marker=more"),
                 "tags") == ["only"]
    dup = admin.http("POST", base, json={"tags": [{"name": "a"}, {"name": "A"}]})
    assert dup.status_code == 409 and "case insensitive" in dup.json()["message"]
    single = admin.http("POST", f"{base}/Single")
    assert single.status_code == 201 and single.json()["name"] == "Single"
    assert ISO.match(single.json()["created_at"])
    assert admin.http("POST", f"{base}/single").status_code == 409
    assert admin.http("GET", f"{base}/Single").json()["name"] == "Single"
    renamed = admin.http("PUT", f"{base}/Single", json={"name": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "renamed"
    assert admin.http("DELETE", f"{base}/renamed").status_code == 204
    assert "renamed" not in names(admin.http("GET", base), "tags")
    assert admin.http("POST", f"{base}/{'t' * 81}").status_code == 400
    assert admin.http("DELETE", base).status_code == 204
    assert names(admin.http("GET", base), "tags") == []


def test_tags_through_openstacksdk(admin: Person) -> None:
    image = admin.conn.image
    ns = new_namespace(admin)["namespace"]
    image.add_tag_to_metadef_namespace(ns, "sdk-tag")
    assert names(admin.http("GET", f"{NS}/{ns}/tags"), "tags") == ["sdk-tag"]
    image.remove_tags_from_metadef_namespace(ns)
    assert names(admin.http("GET", f"{NS}/{ns}/tags"), "tags") == []


# --- associations, protection -----------------------------------------------------------


def test_resource_type_associations(admin: Person) -> None:
    ns = new_namespace(admin)["namespace"]
    base = f"{NS}/{ns}/resource_types"
    created = admin.http("POST", base, json={"name": "OS::Nova::Aggregate",
                                             "prefix": "aggr_", "properties_target": "x"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["prefix"], body["properties_target"]) == (
        "OS::Nova::Aggregate", "aggr_", "x")
    assert admin.http("POST", base, json={"name": "OS::Nova::Aggregate"}).status_code == 409
    assert admin.http("POST", base, json={"prefix": "p"}).status_code == 400
    assert names(admin.http("GET", base), "resource_type_associations") == [
        "OS::Nova::Aggregate"]
    assert admin.http("DELETE", f"{base}/OS::Nova::Aggregate").status_code == 204
    assert names(admin.http("GET", base), "resource_type_associations") == []
    missing = admin.http("DELETE", f"{base}/OS::Nova::Aggregate")
    assert missing.status_code == 404


def test_protected_namespace_keeps_its_contents(admin: Person) -> None:
    ns = new_namespace(admin, protected=True, objects=[{"name": "o"}],
                       properties={"p": {"title": "P", "type": "string"}},
                       tags=[{"name": "t"}],
                       resource_type_associations=[{"name": "OS::Nova::Server"}])["namespace"]
    for path in ("/objects/o", "/properties/p", "/tags/t", "/resource_types/OS::Nova::Server",
                 "/objects", "/properties", "/tags", ""):
        resp = admin.http("DELETE", f"{NS}/{ns}{path}")
        assert resp.status_code == 403, path
    shown = admin.http("GET", f"{NS}/{ns}").json()
    assert len(shown["objects"]) == len(shown["tags"]) == len(shown["properties"]) == 1


def test_deleting_a_namespace_takes_its_contents(admin: Person) -> None:
    name = _name()
    new_namespace(admin, namespace=name, objects=[{"name": "o"}], tags=[{"name": "t"}],
                  properties={"p": {"title": "P", "type": "string"}},
                  resource_type_associations=[{"name": "OS::Nova::Server"}])
    assert admin.http("DELETE", f"{NS}/{name}").status_code == 204
    again = new_namespace(admin, namespace=name)
    shown = admin.http("GET", f"{NS}/{again['namespace']}").json()
    assert not {"properties", "objects", "tags", "resource_type_associations"} & set(shown)


# --- schemas -----------------------------------------------------------------------------


@pytest.mark.parametrize("path, name", [
    ("namespace", "namespace"), ("namespaces", "namespaces"),
    ("resource_type", "resource_type_association"),
    ("resource_types", "resource_type_associations"), ("object", "object"),
    ("objects", "objects"), ("property", "property"), ("properties", "properties"),
    ("tag", "tag"), ("tags", "tags"),
])
def test_schemas(make_person: Any, path: str, name: str) -> None:
    reader = make_person("reader")
    resp = reader.http("GET", f"/schemas/metadefs/{path}")
    assert resp.status_code == 200
    schema = resp.json()
    assert schema["name"] == name
    if path.endswith("s") and path != "properties":
        assert schema["properties"][name]["type"] == "array"
        assert {link["rel"] for link in schema["links"]} == {"first", "next", "describedby"}
    elif path == "properties":
        assert "additionalProperties" in schema["properties"]["properties"]
    else:
        assert schema["additionalProperties"] is False


def test_schemas_through_openstacksdk(alice: Person) -> None:
    image = alice.conn.image
    assert image.get_metadef_namespace_schema().name == "namespace"
    assert image.get_metadef_properties_schema().name == "properties"
    required = image.get_metadef_property_schema().required
    assert sorted(required) == ["name", "title", "type"]
