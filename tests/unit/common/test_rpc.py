"""nimbus.common.rpc over the in-process fake:// transport: calls, casts, caps, objects."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.common import config, rpc
from nimbus.common.context import AuthInfo, RequestContext
from nimbus.common.messaging import oslo_messaging
from tests.support.rpc_echo import (
    EchoAPI,
    EchoBox,
    EchoEndpoint,
    EchoError,
    EchoThing,
    register_echo_opt,
)

ISSUED = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def make_conf(**levels: str) -> Any:
    conf = config.make_conf(overrides={"DEFAULT": {"rpc_response_timeout": 5}})
    register_echo_opt(conf)
    for name, value in levels.items():
        conf.set_override(name, value, group="upgrade_levels")
    return conf


def user_context(token: str | None = "secret-token") -> RequestContext:
    auth = AuthInfo(user_id="u1", user_name="alice", user_domain_id="default",
                    user_domain_name="Default", roles=("member", "reader"),
                    role_ids=("r1", "r2"), project_id="p1", project_name="demo",
                    project_domain_id="default", audit_ids=("a1",), issued_at=ISSUED)
    return RequestContext(request_id="req-1", global_request_id="req-g",
                          auth=auth, auth_token=token)


@pytest.fixture(scope="module")
def topic() -> str:
    return f"nimbus-test-echo-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def served(topic: str) -> Iterator[EchoEndpoint]:
    # One server for the module: stopping one waits up to a second for the
    # idle worker threads of its pool.
    endpoint = EchoEndpoint()
    server = rpc.start_server(make_conf(), topic, "host1", [endpoint])
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def endpoint(served: EchoEndpoint) -> EchoEndpoint:
    served.calls.clear()
    served.recorded(None)
    return served


def test_defaults_are_the_all_in_one():
    conf = config.make_conf()
    assert conf.transport_url == "local://"
    assert conf.control_exchange == "nimbus"
    assert conf.upgrade_levels.compute is None
    groups = dict(config.list_opts())
    assert {"compute", "conductor", "scheduler"} <= {o.name for o in groups["upgrade_levels"]}
    assert "heartbeat_timeout_threshold" in {o.name for o in groups["oslo_messaging_rabbit"]}
    assert [g for g, _ in config.list_opts()].count("DEFAULT") == 1


def test_transport_is_cached_per_url_and_exchange():
    conf = make_conf()
    assert rpc.get_transport(conf) is rpc.get_transport(make_conf())
    other = config.make_conf(overrides={"DEFAULT": {"control_exchange": "elsewhere"}})
    assert rpc.get_transport(other) is not rpc.get_transport(conf)


def test_call_carries_who_asked_but_not_the_token(topic, endpoint):
    reply = EchoAPI(make_conf(), topic=topic).call(user_context(), "echo", value=[1, "two"])
    assert reply["value"] == [1, "two"]
    ctxt = reply["context"]
    assert ctxt["request_id"] == "req-1" and ctxt["global_request_id"] == "req-g"
    assert ctxt["auth"]["user_id"] == "u1" and ctxt["auth"]["project_id"] == "p1"
    assert ctxt["auth"]["roles"] == ["member", "reader"]
    assert ctxt["auth"]["issued_at"] == ISSUED.isoformat()
    assert "auth_token" not in ctxt


def test_an_api_may_carry_the_token(topic, endpoint):
    class TokenEchoAPI(EchoAPI):
        CARRIES_TOKEN = True

    reply = TokenEchoAPI(make_conf(), topic=topic).call(user_context(), "echo", value=1)
    assert reply["context"]["auth_token"] == "secret-token"


def test_context_round_trip_ignores_what_it_does_not_know():
    ctxt = user_context()
    data = rpc.context_to_dict(ctxt, with_token=True)
    data["auth"]["added_by_a_newer_release"] = True
    data["also_new"] = 1
    back = rpc.context_from_dict(data)
    assert back.auth == ctxt.auth and back.auth_token == "secret-token"
    assert back.request_id == "req-1" and back.policy is None
    anonymous = rpc.context_from_dict(rpc.context_to_dict(RequestContext(request_id="r")))
    assert anonymous.auth is None and anonymous.is_admin is False


def test_cast_reaches_the_server(topic, endpoint):
    EchoAPI(make_conf(), topic=topic).cast(user_context(), "record", value={"a": 1})
    assert endpoint.received.get(timeout=5) == {"a": 1}


def test_directed_call_reaches_the_named_server(topic, endpoint):
    api = EchoAPI(make_conf(), topic=topic)
    assert api.prepare(server="host1").call(user_context(), "shout", value="hi") == "HI"
    with pytest.raises(oslo_messaging.MessagingTimeout):
        api.prepare(server="host2", timeout=0.3).call(user_context(), "shout", value="hi")


def test_cap_refuses_a_too_new_method_before_sending(topic, endpoint):
    api = EchoAPI(make_conf(echo="1.0"), topic=topic)
    with pytest.raises(rpc.RPCVersionCapExceeded) as err:
        api.call(user_context(), "shout", value="hi")
    message = str(err.value)
    assert "'shout'" in message and "1.1" in message and "[upgrade_levels]" in message
    assert api.call(user_context(), "echo", value=1)["value"] == 1
    assert endpoint.calls == ["echo"]


def test_explicit_version_above_the_cap_is_refused(topic, endpoint):
    api = EchoAPI(make_conf(echo="1.0"), topic=topic)
    assert api.can_send_version("1.0") and not api.can_send_version("1.1")
    with pytest.raises(rpc.RPCVersionCapExceeded):
        api.prepare(version="1.1").call(user_context(), "echo", value=1)


def test_unknown_method_is_a_programming_error(topic):
    with pytest.raises(rpc.UnknownRPCMethod):
        EchoAPI(make_conf(), topic=topic).call(user_context(), "nope")


@pytest.mark.parametrize(("level", "cap"), [(None, "1.1"), ("auto", "1.1"), ("1.0", "1.0"),
                                            ("1.7", "1.1")])
def test_cap_from_upgrade_levels(level, cap):
    levels = {"echo": level} if level else {}
    assert EchoAPI(make_conf(**levels)).version_cap == cap


@pytest.mark.parametrize("level", ["0.9", "2.0", "one"])
def test_cap_outside_what_we_speak_is_refused(level):
    with pytest.raises(rpc.RPCError, match=r"\[upgrade_levels\] echo"):
        EchoAPI(make_conf(echo=level))


def test_an_api_needs_an_upgrade_level_option():
    with pytest.raises(rpc.RPCError, match="no option 'echo'"):
        EchoAPI(config.make_conf())


def test_manifest_follows_the_history():
    assert EchoAPI.manifest("1.0") == {"EchoThing": "1.0", "EchoBox": "1.0"}
    assert EchoAPI.manifest("1.1") == {"EchoThing": "1.1", "EchoBox": "1.0"}
    assert EchoAPI.method_version("shout") == "1.1"


def test_client_and_server_agree():
    assert rpc.missing_methods(EchoAPI, EchoEndpoint()) == []

    class Stale:
        target = oslo_messaging.Target(version="1.0")

        def echo(self, ctxt):
            raise AssertionError("not called")

    problems = rpc.missing_methods(EchoAPI, Stale())
    assert "shout" in problems and "target version 1.0 != 1.1" in problems


def test_object_round_trips_at_its_version(topic, endpoint):
    thing = EchoThing(name="n", size=3, colour="red")
    reply = EchoAPI(make_conf(), topic=topic).call(user_context(), "describe", thing=thing)
    assert reply["fields"] == [["colour", "name", "size"]]
    back = reply["thing"]
    assert isinstance(back, EchoThing)
    assert (back.name, back.size, back.colour) == ("n", 3, "red")


def test_object_is_backported_when_the_cap_says_so(topic, endpoint):
    box = EchoBox(things=[EchoThing(name="n", size=3, colour="red")])
    api = EchoAPI(make_conf(echo="1.0"), topic=topic)
    reply = api.call(user_context(), "describe", thing=box)
    assert reply["classes"] == ["EchoThing"]
    assert reply["fields"] == [["name", "size"]]
    assert not reply["thing"].things[0].obj_attr_is_set("colour")


def test_serializer_sends_the_version_the_manifest_names():
    thing = EchoThing(name="n", size=3, colour="red")
    old = rpc.RPCSerializer(EchoAPI.manifest("1.0")).serialize_entity(None, thing)
    assert old["nimbus_object.version"] == "1.0"
    assert old["nimbus_object.data"] == {"name": "n", "size": 3}
    new = rpc.RPCSerializer(EchoAPI.manifest("1.1")).serialize_entity(None, thing)
    assert new["nimbus_object.version"] == "1.1"
    assert new["nimbus_object.data"]["colour"] == "red"


def test_server_exception_arrives_as_itself(topic, endpoint):
    with pytest.raises(EchoError, match="boom"):
        EchoAPI(make_conf(), topic=topic).call(user_context(), "fail", message="boom")


def test_call_needs_a_request_context(topic, endpoint):
    with pytest.raises(TypeError, match="RequestContext"):
        EchoAPI(make_conf(), topic=topic).call({"user": "x"}, "echo", value=1)


def test_stopped_server_answers_nothing():
    topic = f"nimbus-test-echo-{uuid.uuid4().hex}"
    server = rpc.start_server(make_conf(), topic, "host1", [EchoEndpoint()])
    api = EchoAPI(make_conf(), topic=topic)
    assert api.call(user_context(), "shout", value="a") == "A"
    server.stop()
    with pytest.raises(oslo_messaging.MessagingTimeout):
        api.prepare(timeout=0.3).call(user_context(), "shout", value="a")


def test_local_transports_are_separate():
    """Two local:// URLs in one process never meet (the fake driver's queues
    are shared by every transport of a process; a test process runs several
    clouds)."""
    conf_a, conf_b = make_conf(), make_conf()
    conf_a.set_override("transport_url", "local://a")
    conf_b.set_override("transport_url", "local://b")
    topic = f"nimbus-test-local-{uuid.uuid4().hex}"
    served_a, served_b = EchoEndpoint(), EchoEndpoint()
    server_a = rpc.start_server(conf_a, topic, "s", [served_a])
    server_b = rpc.start_server(conf_b, topic, "s", [served_b])
    try:
        for i in range(5):
            assert EchoAPI(conf_a, topic=topic).call(user_context(), "echo", value=i)["value"] == i
        assert EchoAPI(conf_b, topic=topic).call(user_context(), "shout", value="b") == "B"
        assert served_a.calls == ["echo"] * 5 and served_b.calls == ["shout"]
    finally:
        server_a.stop()
        server_b.stop()
