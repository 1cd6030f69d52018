"""The base of every service's domain errors: a message format filled from keyword arguments.

Services subclass it (placement, compute), set ``msg_fmt`` per error, and
translate the errors into HTTP in their handlers; the data layer raises them
without knowing HTTP. An error may cross RPC: oslo.messaging rebuilds it on
the caller's side from its message and ``kwargs``, which is why the message
may also be given whole.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    msg_fmt = "An unknown exception occurred."

    def __init__(self, message: str | None = None, **kwargs: Any):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs if kwargs else self.msg_fmt
        super().__init__(message)
