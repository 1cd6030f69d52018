"""Version discovery at the identity root and at /v3."""

from __future__ import annotations

import httpx
from keystoneauth1 import session as ks_session


def test_root_lists_versions_with_300(cloud):
    resp = httpx.get(f"{cloud.auth_url}/")
    assert resp.status_code == 300
    (version,) = resp.json()["versions"]["values"]
    assert version["id"] == "v3.14"
    assert version["status"] == "stable"
    assert version["links"] == [{"rel": "self", "href": f"{cloud.auth_url}/v3/"}]
    assert version["media-types"] == [{"base": "application/json",
                                       "type": "application/vnd.openstack.identity-v3+json"}]
    assert resp.headers["location"] == f"{cloud.auth_url}/v3/"


def test_v3_document(cloud):
    resp = httpx.get(f"{cloud.auth_url}/v3")
    assert resp.status_code == 200
    assert set(resp.json()["version"]) == {"id", "status", "updated", "links", "media-types"}


def test_keystoneauth_discovers_v3_from_the_root(cloud):
    sess = ks_session.Session()
    data = sess.get(f"{cloud.auth_url}", authenticated=False,
                    raise_exc=False)
    assert data.status_code == 300
    from keystoneauth1 import discover

    disc = discover.Discover(sess, cloud.auth_url)
    assert disc.url_for((3, 0)) == f"{cloud.auth_url}/v3/"


def test_a_service_alone_also_answers_at_the_root(cloud):
    resp = httpx.get(f"{cloud.url}/")
    assert resp.status_code == 300
    assert resp.json()["versions"]["values"][0]["links"][0]["href"] == f"{cloud.url}/v3/"
