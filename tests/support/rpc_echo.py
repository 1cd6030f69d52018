"""A small versioned RPC API for tests: an echo service and the object it carries.

tests/support/rpc_echo_server.py serves it in a process of its own.
"""

from __future__ import annotations

import queue
from typing import Any

from oslo_config import cfg

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.common.messaging import oslo_messaging
from nimbus.common.objects import NimbusObject, fields, register

# Test objects live outside the nimbus package, so the pinned fingerprints of
# tests/unit/common/test_objects.py leave them out.


@register
class EchoThing(NimbusObject):
    # 1.0: name, size
    # 1.1: colour
    VERSION = "1.1"
    FIELDS_ADDED = {"colour": "1.1"}
    fields = {
        "name": fields.StringField(),
        "size": fields.IntegerField(),
        "colour": fields.StringField(nullable=True),
    }


@register
class EchoBox(NimbusObject):
    # 1.0: things
    VERSION = "1.0"
    fields = {"things": fields.ListOfObjectsField("EchoThing")}


class EchoError(Exception):
    """Raised by the server on request; crosses RPC as itself."""


rpc.allow_remote_exceptions(__name__)


class EchoAPI(rpc.RPCAPI):
    NAME = "echo"
    TOPIC = "nimbus-test-echo"
    HISTORY = (
        rpc.APIVersion("1.0", "echo, record, recorded, describe, fail",
                       methods=("echo", "record", "recorded", "describe", "fail"),
                       objects={"EchoThing": "1.0", "EchoBox": "1.0"}),
        rpc.APIVersion("1.1", "shout; EchoThing 1.1 (colour)",
                       methods=("shout",), objects={"EchoThing": "1.1"}),
    )


class EchoEndpoint:
    """The server side of EchoAPI."""

    target = oslo_messaging.Target(version="1.1")

    def __init__(self) -> None:
        self.received: queue.Queue[Any] = queue.Queue()
        self.calls: list[str] = []

    def echo(self, ctxt: RequestContext, value: Any) -> dict[str, Any]:
        self.calls.append("echo")
        return {"value": value, "context": rpc.context_to_dict(ctxt, with_token=True)}

    def shout(self, ctxt: RequestContext, value: str) -> str:
        self.calls.append("shout")
        return value.upper()

    def record(self, ctxt: RequestContext, value: Any) -> None:
        self.calls.append("record")
        self.received.put(value)

    def recorded(self, ctxt: RequestContext) -> list[Any]:
        """What casts have recorded so far (for a caller in another process)."""
        values = []
        while not self.received.empty():
            values.append(self.received.get_nowait())
        return values

    def describe(self, ctxt: RequestContext, thing: EchoThing | EchoBox) -> dict[str, Any]:
        """The object as it arrived: its class, the fields it carried, and itself."""
        self.calls.append("describe")
        things = thing.things if isinstance(thing, EchoBox) else [thing]
        return {
            "classes": [type(t).__name__ for t in things],
            "fields": [sorted(n for n in t.fields if t.obj_attr_is_set(n)) for t in things],
            "thing": thing,
        }

    def fail(self, ctxt: RequestContext, message: str) -> None:
        raise EchoError(message)


def register_echo_opt(conf: cfg.ConfigOpts) -> None:
    """[upgrade_levels] echo, as a real API's name is in rpc.API_NAMES."""
    conf.register_opt(cfg.StrOpt("echo"), group=rpc.UPGRADE_LEVELS_GROUP)
