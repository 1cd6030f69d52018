"""An in-process oslo.messaging driver for the all-in-one: ``local://``.

oslo.messaging's own in-memory driver (``fake://``) is for unit tests: its
listeners poll their queues every 50 ms, which adds tens of milliseconds to
every RPC call a build makes, and all its transports share one set of
queues per process. This driver keeps the fake driver's message handling
but wakes listeners as soon as a message is delivered, and gives each
transport URL queues of its own (two clouds in one test process never
answer each other). Messages still go through JSON serialization checks,
so what works here works over RabbitMQ.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from oslo_messaging._drivers import base, impl_fake

from nimbus.common.messaging import oslo_messaging

SCHEME = "local"


class _Exchanges:
    """One transport's exchanges, and a generation counter that moves (and
    wakes every listener) whenever a message is delivered."""

    def __init__(self, default_exchange: str | None) -> None:
        self.default_exchange = default_exchange
        self.lock = threading.Lock()
        self.exchanges: dict[str, _Exchange] = {}
        self.changed = threading.Condition()
        self.generation = 0

    def get_exchange(self, name: str | None) -> _Exchange:
        name = name or self.default_exchange or "default"
        with self.lock:
            found = self.exchanges.get(name)
            if found is None:
                found = self.exchanges[name] = _Exchange(name, self)
            return found

    def delivered(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def cleanup(self) -> None:
        with self.lock:
            self.exchanges.clear()


class _Exchange(impl_fake.FakeExchange):  # type: ignore[misc]
    def __init__(self, name: str, owner: _Exchanges) -> None:
        super().__init__(name)
        self._owner = owner

    def deliver_message(self, *args: Any, **kwargs: Any) -> None:
        super().deliver_message(*args, **kwargs)
        self._owner.delivered()


class _Listener(impl_fake.FakeListener):  # type: ignore[misc]
    """Waits for a delivery instead of sleeping between polls."""

    def __init__(self, exchanges: _Exchanges, targets: list[Any],
                 pool: str | None = None) -> None:
        super().__init__(exchanges, targets, pool)
        self._exchanges = exchanges

    @base.batch_poll_helper  # type: ignore[untyped-decorator]
    def poll(self, timeout: float | None = None) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        owner = self._exchanges
        while not self._stopped.is_set():
            with owner.changed:
                seen = owner.generation
            for target in self._targets:
                exchange = owner.get_exchange(target.exchange)
                ctxt, message, reply_q, requeue = exchange.poll(target, self._pool)
                if message is not None:
                    return impl_fake.FakeIncomingMessage(ctxt, message, reply_q, requeue)
            wait = 1.0
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    return None
            with owner.changed:
                if owner.generation == seen and not self._stopped.is_set():
                    owner.changed.wait(wait)
        return None

    def stop(self) -> None:
        super().stop()
        self._exchanges.delivered()  # wake the poll so it sees the stop


class LocalDriver(impl_fake.FakeDriver):  # type: ignore[misc]
    def __init__(self, conf: Any, url: Any, default_exchange: str | None = None,
                 allowed_remote_exmods: Any = None) -> None:
        super().__init__(conf, url, default_exchange, allowed_remote_exmods)
        self._exchange_manager = _Exchanges(default_exchange)

    def listen(self, target: Any, batch_size: int, batch_timeout: Any) -> Any:
        exchange = target.exchange or self._default_exchange
        listener = _Listener(self._exchange_manager, [
            oslo_messaging.Target(topic=target.topic, server=target.server,
                                  exchange=exchange),
            oslo_messaging.Target(topic=target.topic, exchange=exchange)])
        return base.PollStyleListenerAdapter(listener, batch_size, batch_timeout)

    def listen_for_notifications(self, targets_and_priorities: Any, pool: Any,
                                 batch_size: int, batch_timeout: Any) -> Any:
        targets = [oslo_messaging.Target(topic=f"{t.topic}.{p}", exchange=t.exchange)
                   for t, p in targets_and_priorities]
        return base.PollStyleListenerAdapter(
            _Listener(self._exchange_manager, targets, pool), batch_size, batch_timeout)

    def cleanup(self) -> None:
        self._exchange_manager.cleanup()
