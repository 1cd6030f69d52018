"""`python -m tests.support.rpc_echo_server URL EXCHANGE TOPIC SERVER`: serve the echo
API until standard input closes (the RabbitMQ test runs it so)."""

from __future__ import annotations

import sys

from nimbus.common import config, rpc
from tests.support.rpc_echo import EchoEndpoint


def main(argv: list[str]) -> int:
    url, exchange, topic, server = argv
    conf = config.make_conf(overrides={
        "DEFAULT": {"transport_url": url, "control_exchange": exchange},
        "oslo_messaging_rabbit": {"amqp_auto_delete": True},
    })
    running = rpc.start_server(conf, topic, server, [EchoEndpoint()])
    print("ready", flush=True)
    sys.stdin.read()
    running.stop()
    rpc.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
