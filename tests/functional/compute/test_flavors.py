"""Flavors, their extra specs and access lists, through openstacksdk and HTTP,
at the microversions where their shapes change."""

from __future__ import annotations

import uuid

import pytest

from tests.functional.compute import shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.support.cloud import RunningCloud


def test_version_documents(cloud: RunningCloud, admin: Person) -> None:
    session = admin.conn.session
    root = session.get(f"{cloud.url}/compute/").json()["versions"]
    assert [v["id"] for v in root] == ["v2.0", "v2.1"]
    current = root[1]
    assert (current["status"], current["min_version"], current["version"]) == (
        "CURRENT", "2.1", "2.104")
    assert current["links"] == [{"rel": "self", "href": f"{cloud.url}/compute/v2.1/"}]
    one = session.get(f"{cloud.url}/compute/v2.1/").json()["version"]
    assert one["id"] == "v2.1" and one["version"] == "2.104"
    assert {link["rel"] for link in one["links"]} == {"self", "describedby"}


@pytest.mark.parametrize("headers,echoed", [
    ({}, "2.1"),
    ({"OpenStack-API-Version": "compute 2.55"}, "2.55"),
    ({"X-OpenStack-Nova-API-Version": "2.61"}, "2.61"),
    ({"OpenStack-API-Version": "compute latest"}, "2.104"),
])
def test_microversion_headers_are_echoed(admin: Person, headers: dict[str, str],
                                         echoed: str) -> None:
    resp = admin.http("GET", "/flavors", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["OpenStack-API-Version"] == f"compute {echoed}"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == echoed
    assert "OpenStack-API-Version" in resp.headers["Vary"]


def test_microversion_out_of_range_or_malformed(admin: Person) -> None:
    resp = admin.http("GET", "/flavors", version="2.105")
    assert resp.status_code == 406
    assert "HTTPNotAcceptable" in resp.json()
    resp = admin.http("GET", "/flavors", version="2.01")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["code"] == 400


def test_sdk_create_show_list_delete(admin: Person) -> None:
    compute = admin.conn.compute
    name = f"sdk-{uuid.uuid4().hex[:6]}"
    flavor = compute.create_flavor(name=name, ram=1024, vcpus=2, disk=10, ephemeral=5,
                                   swap=256, is_public=True)
    try:
        assert uuid.UUID(flavor.id)  # generated when not given
        shown = compute.get_flavor(flavor.id)
        assert (shown.ram, shown.vcpus, shown.disk, shown.ephemeral, shown.swap) == (
            1024, 2, 10, 5, 256)
        assert name in [f.name for f in compute.flavors()]
    finally:
        compute.delete_flavor(flavor.id)
    assert compute.find_flavor(flavor.id) is None


@pytest.mark.parametrize("version", ["2.1", "2.55", "2.61", "2.75", "2.102"])
def test_shapes_per_microversion(admin: Person, version: str) -> None:
    created = admin.http("POST", "/flavors", version=version, json={"flavor": {
        "name": f"shape-{version}-{uuid.uuid4().hex[:6]}", "ram": 64, "vcpus": 1, "disk": 0}})
    assert created.status_code == 200, created.text
    shapes.check(shapes.flavor(version), created.json())
    flavor_id = created.json()["flavor"]["id"]
    shown = admin.http("GET", f"/flavors/{flavor_id}", version=version).json()
    shapes.check(shapes.flavor(version), shown)
    # swap 0 is "" until 2.75, then 0; extra_specs appear from 2.61.
    assert shown["flavor"]["swap"] == (0 if version in ("2.75", "2.102") else "")
    assert ("extra_specs" in shown["flavor"]) == (version not in ("2.1", "2.55"))
    for detail in (False, True):
        path = "/flavors/detail" if detail else "/flavors"
        shapes.check(shapes.flavor_list(version, detail),
                     admin.http("GET", path, version=version).json())
    assert admin.http("DELETE", f"/flavors/{flavor_id}", version=version).status_code == 202


def test_given_ids_and_conflicts(admin: Person) -> None:
    flavor = new_flavor(admin, id=f"given-{uuid.uuid4().hex[:6]}")
    numeric = new_flavor(admin, id=int(uuid.uuid4().int % 10**9))
    assert isinstance(numeric["id"], str)
    again = admin.http("POST", "/flavors", json={"flavor": {
        "name": f"other-{uuid.uuid4().hex[:6]}", "ram": 1, "vcpus": 1, "disk": 0,
        "id": flavor["id"]}})
    assert again.status_code == 409
    assert again.json()["conflictingRequest"]["message"] == (
        f"Flavor with ID {flavor['id']} already exists.")
    same_name = admin.http("POST", "/flavors", json={"flavor": {
        "name": flavor["name"], "ram": 1, "vcpus": 1, "disk": 0}})
    assert same_name.status_code == 409
    assert "already exists" in same_name.json()["conflictingRequest"]["message"]


@pytest.mark.parametrize("bad", [
    {"ram": 0}, {"vcpus": -1}, {"disk": "x"}, {"name": " padded "}, {"name": ""},
    {"id": " x"}, {"rxtx_factor": 0}, {"os-flavor-access:is_public": "perhaps"},
    {"unknown": 1},
])
def test_bad_bodies_are_400(admin: Person, bad: dict[str, object]) -> None:
    body = {"name": f"bad-{uuid.uuid4().hex[:6]}", "ram": 1, "vcpus": 1, "disk": 0, **bad}
    resp = admin.http("POST", "/flavors", json={"flavor": body})
    assert resp.status_code == 400, resp.text
    assert resp.json()["badRequest"]["message"]


def test_description_from_2_55(admin: Person) -> None:
    too_early = admin.http("POST", "/flavors", version="2.54", json={"flavor": {
        "name": f"d-{uuid.uuid4().hex[:6]}", "ram": 1, "vcpus": 1, "disk": 0,
        "description": "nope"}})
    assert too_early.status_code == 400
    flavor = new_flavor(admin, version="2.55", description="small")
    assert flavor["description"] == "small"
    assert admin.http("PUT", f"/flavors/{flavor['id']}", version="2.54",
                      json={"flavor": {"description": "x"}}).status_code == 404
    updated = admin.http("PUT", f"/flavors/{flavor['id']}", version="2.55",
                         json={"flavor": {"description": "smaller"}})
    assert updated.status_code == 200
    assert updated.json()["flavor"]["description"] == "smaller"
    brief = admin.http("GET", "/flavors", version="2.55").json()["flavors"]
    assert {"id": flavor["id"], "description": "smaller"}.items() <= {
        k: v for f in brief if f["id"] == flavor["id"] for k, v in f.items()}.items()


def test_member_cannot_manage(alice: Person, admin: Person) -> None:
    resp = alice.http("POST", "/flavors", json={"flavor": {
        "name": "mine", "ram": 1, "vcpus": 1, "disk": 0}})
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.")
    flavor = new_flavor(admin)
    assert alice.http("DELETE", f"/flavors/{flavor['id']}").status_code == 403


def test_listing_filters_sorting_and_paging(admin: Person) -> None:
    tag = uuid.uuid4().hex[:6]
    made = [new_flavor(admin, name=f"page-{tag}-{i}", id=f"page-{tag}-{i}", ram=100 * (i + 1),
                       disk=i) for i in range(5)]
    ids = [f["id"] for f in made]
    detail = admin.http("GET", "/flavors/detail?minRam=300&minDisk=3").json()["flavors"]
    assert {f["id"] for f in detail if f["id"] in ids} == {ids[3], ids[4]}
    assert admin.http("GET", "/flavors?minRam=lots").status_code == 400
    by_ram = admin.http("GET", "/flavors/detail?sort_key=memory_mb&sort_dir=desc").json()
    rams = [f["ram"] for f in by_ram["flavors"]]
    assert rams == sorted(rams, reverse=True)
    assert admin.http("GET", "/flavors?sort_key=color").status_code == 400
    # Pages of two among ours: follow the next links.
    seen: list[str] = []
    url = f"/flavors?minRam=100&limit=2&sort_key=name&marker={ids[0]}"
    pages = 0
    while url:
        body = admin.http("GET", url).json()
        seen += [f["id"] for f in body["flavors"]]
        links = body.get("flavors_links", [])
        url = links[0]["href"].split("/v2.1", 1)[1] if links else ""
        pages += 1
        assert pages < 50
    assert [i for i in seen if i.startswith(f"page-{tag}")] == ids[1:]
    missing = admin.http("GET", "/flavors?marker=no-such-flavor")
    assert missing.status_code == 400
    assert missing.json()["badRequest"]["message"] == "marker [no-such-flavor] not found"


def test_unknown_query_parameters(admin: Person) -> None:
    assert admin.http("GET", "/flavors?color=red", version="2.74").status_code == 200
    assert admin.http("GET", "/flavors?color=red", version="2.75").status_code == 400
    # name is a filter (a regular expression) from 2.102 only.
    flavor = new_flavor(admin, name=f"named-{uuid.uuid4().hex[:6]}")
    assert admin.http("GET", "/flavors?name=x", version="2.101").status_code == 400
    found = admin.http("GET", f"/flavors?name=^{flavor['name']}$", version="2.102").json()
    assert [f["id"] for f in found["flavors"]] == [flavor["id"]]
    assert admin.http("GET", f"/flavors/{flavor['id']}?x=1", version="2.102").status_code == 400


def test_private_flavors_and_access(admin: Person, alice: Person,
                                    make_person: object) -> None:
    private = new_flavor(admin, **{"os-flavor-access:is_public": False})
    public = new_flavor(admin)
    fid = private["id"]
    assert alice.http("GET", f"/flavors/{fid}").status_code == 404
    listed = {f["id"] for f in alice.http("GET", "/flavors").json()["flavors"]}
    assert public["id"] in listed and fid not in listed
    # Admins choose: private only, or all.
    only_private = {f["id"] for f in admin.http("GET", "/flavors?is_public=false").json()[
        "flavors"]}
    assert fid in only_private and public["id"] not in only_private
    everything = {f["id"] for f in admin.http("GET", "/flavors?is_public=None").json()[
        "flavors"]}
    assert {fid, public["id"]} <= everything
    assert admin.http("GET", "/flavors?is_public=sometimes").status_code == 400

    added = admin.http("POST", f"/flavors/{fid}/action",
                       json={"addTenantAccess": {"tenant": alice.project_id}})
    assert added.status_code == 200
    shapes.check(shapes.FLAVOR_ACCESS, added.json())
    assert added.json()["flavor_access"] == [{"flavor_id": fid, "tenant_id": alice.project_id}]
    assert admin.http("POST", f"/flavors/{fid}/action", json={
        "addTenantAccess": {"tenant": alice.project_id}}).status_code == 409
    assert alice.http("GET", f"/flavors/{fid}").status_code == 200
    assert fid in {f["id"] for f in alice.http("GET", "/flavors").json()["flavors"]}
    listing = admin.http("GET", f"/flavors/{fid}/os-flavor-access")
    assert listing.json() == added.json()
    assert alice.http("GET", f"/flavors/{fid}/os-flavor-access").status_code == 403

    removed = admin.http("POST", f"/flavors/{fid}/action",
                         json={"removeTenantAccess": {"tenant": alice.project_id}})
    assert removed.json() == {"flavor_access": []}
    assert admin.http("POST", f"/flavors/{fid}/action", json={
        "removeTenantAccess": {"tenant": alice.project_id}}).status_code == 404
    assert alice.http("GET", f"/flavors/{fid}").status_code == 404

    # A public flavor has no access list; adding to one is 409 from 2.7.
    no_list = admin.http("GET", f"/flavors/{public['id']}/os-flavor-access")
    assert no_list.status_code == 404
    assert no_list.json()["itemNotFound"]["message"] == (
        "Access list not available for public flavors.")
    for version, status in (("2.6", 200), ("2.7", 409)):
        resp = admin.http("POST", f"/flavors/{public['id']}/action", version=version,
                          json={"addTenantAccess": {"tenant": uuid.uuid4().hex}})
        assert resp.status_code == status, resp.text
    assert admin.http("POST", f"/flavors/{fid}/action",
                      json={"dance": {}}).status_code == 400


def test_extra_specs(admin: Person, alice: Person) -> None:
    flavor = new_flavor(admin)
    base = f"/flavors/{flavor['id']}/os-extra_specs"
    created = admin.http("POST", base, json={"extra_specs": {"hw:numa_nodes": 1, "k": "v"}})
    assert created.status_code == 200
    assert created.json() == {"extra_specs": {"hw:numa_nodes": 1, "k": "v"}}
    listed = alice.http("GET", base).json()
    shapes.check(shapes.EXTRA_SPECS, listed)
    assert listed == {"extra_specs": {"hw:numa_nodes": "1", "k": "v"}}
    assert alice.http("GET", f"{base}/k").json() == {"k": "v"}
    missing = alice.http("GET", f"{base}/nope")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == (
        f"Flavor {flavor['id']} has no extra specs with key nope.")
    assert admin.http("PUT", f"{base}/k", json={"k": "w"}).json() == {"k": "w"}
    assert admin.http("PUT", f"{base}/k", json={"other": "w"}).status_code == 400
    assert alice.http("PUT", f"{base}/k", json={"k": "x"}).status_code == 403
    assert admin.http("DELETE", f"{base}/k").status_code == 200
    assert admin.http("DELETE", f"{base}/k").status_code == 404
    # Embedded in the flavor from 2.61, for those who may read them.
    shown = alice.http("GET", f"/flavors/{flavor['id']}", version="2.61").json()["flavor"]
    assert shown["extra_specs"] == {"hw:numa_nodes": "1"}


@pytest.mark.parametrize("spec", [{"hw:cpu_policy": "pinned"}, {"hw:nonsense": "1"},
                                  {"resources:VCPU": "many"}, {"trait:NOT_A_TRAIT": "required"}])
def test_extra_specs_validated_from_2_86(admin: Person, spec: dict[str, str]) -> None:
    flavor = new_flavor(admin)
    base = f"/flavors/{flavor['id']}/os-extra_specs"
    refused = admin.http("POST", base, version="2.86", json={"extra_specs": spec})
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"].startswith("Validation failed; ")
    assert admin.http("POST", base, version="2.85",
                      json={"extra_specs": spec}).status_code == 200
    assert admin.http("POST", base, version="2.86", json={"extra_specs": {
        "hw:cpu_policy": "dedicated", "company:tier": "gold"}}).status_code == 200


def test_project_id_in_urls(admin: Person, alice: Person) -> None:
    flavor = new_flavor(admin)
    own = alice.http("GET", f"/{alice.project_id}/flavors/{flavor['id']}")
    assert own.status_code == 200
    assert f"/v2.1/{alice.project_id}/flavors/" in own.json()["flavor"]["links"][0]["href"]
    other = alice.http("GET", f"/{admin.project_id}/flavors")
    assert other.status_code == 400
    assert "doesn't match Context's project_id" in other.json()["badRequest"]["message"]


def test_links(cloud: RunningCloud, admin: Person) -> None:
    flavor = new_flavor(admin)
    assert flavor["links"] == [
        {"rel": "self", "href": f"{cloud.url}/compute/v2.1/flavors/{flavor['id']}"},
        {"rel": "bookmark", "href": f"{cloud.url}/compute/flavors/{flavor['id']}"},
    ]


def test_not_found_body(admin: Person) -> None:
    resp = admin.http("GET", "/flavors/no-such-flavor")
    assert resp.status_code == 404
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": "Flavor no-such-flavor could not be found."}}
