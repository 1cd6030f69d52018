"""nimbus.common.rpc over a real RabbitMQ, between two OS processes."""

from __future__ import annotations

import os
import pathlib
import selectors
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.common import config, rpc
from nimbus.common.context import AuthInfo, RequestContext
from tests.support.backends import SERVERS, need
from tests.support.rpc_echo import EchoAPI, EchoError, EchoThing, register_echo_opt

REPO = pathlib.Path(__file__).resolve().parents[2]
URL = SERVERS["rabbitmq"][2]


def make_conf(exchange: str, **levels: str) -> Any:
    conf = config.make_conf(overrides={
        "DEFAULT": {"transport_url": URL, "control_exchange": exchange,
                    "rpc_response_timeout": 5},
        # Exchanges and queues of a test run go when the run does.
        "oslo_messaging_rabbit": {"amqp_auto_delete": True},
    })
    register_echo_opt(conf)
    for name, value in levels.items():
        conf.set_override(name, value, group="upgrade_levels")
    return conf


@pytest.fixture(scope="module")
def echo_server() -> Iterator[tuple[str, str]]:
    """An echo server in its own process; yields (exchange, topic)."""
    need("rabbitmq")
    run = uuid.uuid4().hex[:12]
    exchange, topic = f"nimbus-test-{run}", f"echo-{run}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.rpc_echo_server", URL, exchange, topic, "host1"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdin is not None and proc.stdout is not None
    try:
        # A selector, not select(): in a long run the worker's descriptors
        # pass select()'s limit of 1024.
        with selectors.DefaultSelector() as waiting:
            waiting.register(proc.stdout, selectors.EVENT_READ)
            ready = waiting.select(timeout=15)
        line = proc.stdout.readline() if ready else ""
        assert line.strip() == "ready", f"echo server did not start (exit {proc.poll()})"
        yield exchange, topic
    finally:
        proc.stdin.close()
        try:
            assert proc.wait(timeout=10) == 0, "echo server did not stop cleanly"
        finally:
            if proc.poll() is None:
                proc.kill()
            rpc.cleanup()


def context() -> RequestContext:
    auth = AuthInfo(user_id="u1", user_name="alice", user_domain_id="default",
                    user_domain_name="Default", roles=("member",), project_id="p1")
    return RequestContext(request_id="req-rabbit", auth=auth, auth_token="secret")


def test_call_and_context_across_processes(echo_server):
    exchange, topic = echo_server
    reply = EchoAPI(make_conf(exchange), topic=topic).call(context(), "echo", value={"a": [1]})
    assert reply["value"] == {"a": [1]}
    assert reply["context"]["auth"]["user_id"] == "u1"
    assert reply["context"]["request_id"] == "req-rabbit"
    assert "auth_token" not in reply["context"]


def test_cast_across_processes(echo_server):
    exchange, topic = echo_server
    api = EchoAPI(make_conf(exchange), topic=topic)
    api.cast(context(), "record", value="one")
    api.prepare(server="host1").cast(context(), "record", value="two")
    # A call after the casts on the same topic: RabbitMQ keeps each queue's
    # order, and the server's pool may still be running a cast, so poll briefly.
    seen: list[str] = []
    for _ in range(50):
        seen += api.call(context(), "recorded")
        if len(seen) >= 2:
            break
    assert sorted(seen) == ["one", "two"]


def test_objects_and_caps_across_processes(echo_server):
    exchange, topic = echo_server
    thing = EchoThing(name="n", size=2, colour="green")
    newest = EchoAPI(make_conf(exchange), topic=topic)
    assert newest.call(context(), "describe", thing=thing)["fields"] == [
        ["colour", "name", "size"]]
    assert newest.prepare(server="host1").call(context(), "shout", value="x") == "X"

    capped = EchoAPI(make_conf(exchange, echo="1.0"), topic=topic)
    reply = capped.call(context(), "describe", thing=thing)
    assert reply["fields"] == [["name", "size"]]
    assert isinstance(reply["thing"], EchoThing)
    with pytest.raises(rpc.RPCVersionCapExceeded):
        capped.call(context(), "shout", value="x")


def test_remote_exception_across_processes(echo_server):
    exchange, topic = echo_server
    with pytest.raises(EchoError, match="far away"):
        EchoAPI(make_conf(exchange), topic=topic).call(context(), "fail", message="far away")
