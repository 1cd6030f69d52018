"""The base of every service's domain errors: a message format filled from keyword arguments.

Services subclass it (placement, compute), set ``msg_fmt`` per error, and
translate the errors into HTTP in their handlers; the data layer raises them
without knowing HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    msg_fmt = "An unknown exception occurred."

    def __init__(self, **kwargs: Any):
        self.kwargs = kwargs
        super().__init__(self.msg_fmt % kwargs if kwargs else self.msg_fmt)
