"""The dispatcher and middleware every service is built on, driven in-process."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from nimbus.common import config
from nimbus.common.api import errors
from nimbus.common.api.app import ServiceApp, build_stack, empty_response, json_response, public
from nimbus.common.api.microversion import APIVersions, Version
from nimbus.common.api.validation import validate
from nimbus.common.context import AuthInfo
from nimbus.common.policy import Policy

SCHEMA = {"type": "object", "properties": {"thing": {"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 5}}, "required": ["name"],
    "additionalProperties": False}}, "required": ["thing"], "additionalProperties": False}


class FakeAuth:
    def authenticate(self, token: str, headers=None) -> AuthInfo:
        if token != "good":
            raise errors.Unauthorized()
        return AuthInfo(user_id="u1", user_name="u", user_domain_id="d",
                        user_domain_name="D", roles=("admin",), project_id="p1")


@public
def hello(req):
    return json_response({"version": str(req.version) if req.version else None,
                          "request_id": req.context.request_id,
                          "global_request_id": req.context.global_request_id})


def whoami(req):
    return json_response({"user": req.context.user_id})


def create(req):
    body = validate(SCHEMA, req.json())
    return json_response(body, 201)


@public
def boom(req):
    raise RuntimeError("secret internal detail")


@public
def gone(req):
    return empty_response(204)


ROUTES = {
    "/": {"GET": hello},
    "/me": {"GET": whoami},
    "/things": {"POST": create},
    "/boom": {"GET": boom},
    "/things/{thing_id}": {"DELETE": gone},
}


def make_client(fmt=errors.nova_format, versions=None, max_body=1024):
    conf = config.make_conf()
    app = ServiceApp(name="test", routes=ROUTES, error_format=fmt, policy=Policy(conf),
                     authenticator=FakeAuth(), max_body_size=max_body, versions=versions)
    stack = build_stack(app, ("x-openstack-request-id", "x-compute-request-id"))
    return TestClient(stack, raise_server_exceptions=False)


COMPUTE = APIVersions("compute", Version(2, 1), Version(2, 96),
                      legacy_header="X-OpenStack-Nova-API-Version")


def test_request_ids_in_both_headers_and_unique():
    client = make_client()
    first, second = client.get("/"), client.get("/")
    rid = first.headers["x-openstack-request-id"]
    assert rid.startswith("req-") and len(rid) == 40
    assert first.headers["x-compute-request-id"] == rid
    assert first.json()["request_id"] == rid
    assert second.headers["x-openstack-request-id"] != rid


def test_unknown_path_is_404_in_service_format():
    resp = make_client().get("/nope")
    assert resp.status_code == 404
    assert resp.json() == {"itemNotFound": {"code": 404,
                                            "message": "The resource could not be found."}}


def test_wrong_method_is_405_with_allow():
    resp = make_client(fmt=errors.keystone_format).put("/things")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "POST"
    assert resp.json()["error"]["code"] == 405


def test_missing_and_bad_token_are_401():
    client = make_client(fmt=errors.keystone_format)
    assert client.get("/me").status_code == 401
    resp = client.get("/me", headers={"X-Auth-Token": "bad"})
    assert resp.status_code == 401
    assert resp.json()["error"]["title"] == "Unauthorized"
    assert client.get("/me", headers={"X-Auth-Token": "good"}).json() == {"user": "u1"}


@pytest.mark.parametrize("payload,status", [
    (b"{not json", 400),
    (b'{"thing": {"name": 7}}', 400),
    (b'{"thing": {"name": "toolongname"}}', 400),
    (b'{"thing": {"name": "ok", "extra": 1}}', 400),
    (b"[]", 400),
    (b"", 400),
    (b'{"thing": {"name": "ok"}}', 201),
])
def test_body_validation(payload, status):
    resp = make_client().post("/things", content=payload, headers={
        "X-Auth-Token": "good", "Content-Type": "application/json"})
    assert resp.status_code == status, resp.text
    if status == 400:
        assert resp.json()["badRequest"]["message"]


def test_validation_message_names_the_field():
    resp = make_client().post("/things", json={"thing": {"name": 7}},
                              headers={"X-Auth-Token": "good"})
    assert "thing/name" in resp.json()["badRequest"]["message"]


def test_oversized_body_is_413():
    client = make_client(max_body=1024)
    resp = client.post("/things", content=b"x" * 5000,
                       headers={"X-Auth-Token": "good", "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["overLimit"]["code"] == 413


def test_oversized_chunked_body_is_413():
    client = make_client(max_body=1024)

    def chunks():
        for _ in range(10):
            yield b"x" * 500

    resp = client.post("/things", content=chunks(),
                       headers={"X-Auth-Token": "good", "Content-Type": "application/json"})
    assert resp.status_code == 413


def test_non_json_content_type_is_415():
    resp = make_client().post("/things", content=b"name=x", headers={
        "X-Auth-Token": "good", "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415


def test_unexpected_error_is_a_500_without_details(caplog):
    with caplog.at_level(logging.ERROR):
        resp = make_client(fmt=errors.placement_format).get("/boom")
    assert resp.status_code == 500
    body = resp.json()
    assert body["errors"][0]["status"] == 500
    assert body["errors"][0]["request_id"] == resp.headers["x-openstack-request-id"]
    assert "secret internal detail" not in resp.text
    assert "Traceback" not in resp.text
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


def test_microversion_default_latest_and_echo():
    client = make_client(versions=COMPUTE)
    resp = client.get("/")
    assert resp.json()["version"] == "2.1"
    assert resp.headers["openstack-api-version"] == "compute 2.1"
    assert resp.headers["x-openstack-nova-api-version"] == "2.1"
    assert "OpenStack-API-Version" in resp.headers["vary"]
    assert "X-OpenStack-Nova-API-Version" in resp.headers["vary"]
    latest = client.get("/", headers={"OpenStack-API-Version": "compute latest"})
    assert latest.json()["version"] == "2.96"


def test_microversion_legacy_header_and_other_services_ignored():
    client = make_client(versions=COMPUTE)
    legacy = client.get("/", headers={"X-OpenStack-Nova-API-Version": "2.10"})
    assert legacy.json()["version"] == "2.10"
    mixed = client.get("/", headers={"OpenStack-API-Version": "placement 1.5, compute 2.20"})
    assert mixed.json()["version"] == "2.20"
    other = client.get("/", headers={"OpenStack-API-Version": "placement 1.5"})
    assert other.json()["version"] == "2.1"


@pytest.mark.parametrize("value,status", [
    ("compute 2.97", 406), ("compute 3.0", 406), ("compute 1.1", 406),
    ("compute 2.x", 400), ("compute 2.01", 400), ("compute 2", 400), ("compute ", 200),
])
def test_microversion_errors(value, status):
    resp = make_client(versions=COMPUTE).get("/", headers={"OpenStack-API-Version": value})
    assert resp.status_code == status, resp.text
    if status == 406:
        assert "Minimum is 2.1 and maximum is 2.96" in resp.json()["HTTPNotAcceptable"]["message"]


def test_trailing_slash_and_path_params():
    client = make_client()
    assert client.delete("/things/abc/").status_code == 204
    assert client.delete("/things/abc/def").status_code == 404


def test_global_request_id_is_kept_only_when_well_formed():
    good = "req-12345678-1234-1234-1234-123456789abc"
    client = make_client()
    resp = client.get("/", headers={"X-OpenStack-Request-ID": good})
    assert resp.headers["x-openstack-request-id"] != good
    assert resp.json()["global_request_id"] == good
    bad = client.get("/", headers={"X-OpenStack-Request-ID": "req-<script>"})
    assert bad.json()["global_request_id"] is None
