"""Microversion negotiation for any service type.

Clients ask with ``OpenStack-API-Version: <service-type> X.Y`` (or
``latest``); Nova also honours its legacy ``X-OpenStack-Nova-API-Version:
X.Y``. No header means the minimum version. The chosen version is echoed in
the same headers with ``Vary``; a well-formed version outside the range is
406, a malformed one 400.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from typing import Protocol

from nimbus.common.api import errors

HEADER = "OpenStack-API-Version"
_VERSION_RE = re.compile(r"^([1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_LENIENT_RE = re.compile(r"^([0-9]+)\.([0-9]+)$")


@dataclass(frozen=True, order=True, slots=True)
class Version:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str, lenient: bool = False) -> Version:
        """X.Y with no leading zeros (Nova); `lenient` also takes 0.5 and 1.01
        (Placement's microversion-parse does)."""
        match = (_LENIENT_RE if lenient else _VERSION_RE).match(text.strip())
        if not match:
            raise ValueError(f"invalid version string {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def matches(self, min_version: str | None = None, max_version: str | None = None) -> bool:
        """True when min_version <= self <= max_version (either may be open)."""
        if min_version is not None and self < Version.parse(min_version):
            return False
        if max_version is not None and self > Version.parse(max_version):
            return False
        return True


class _Headers(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class APIVersions:
    """The microversion range of one service and how it talks about it."""

    service_type: str
    min: Version
    max: Version
    legacy_header: str | None = None
    invalid_message: str = "Invalid microversion {value!r}: it must be X.Y or 'latest'."
    unsupported_message: str = (
        "Version {version} is not supported by the API. Minimum is {min} and "
        "maximum is {max}."
    )
    error_code: str | None = None
    lenient: bool = False
    # The Vary header's names; by default the version headers as spelled above.
    vary: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.vary:
            vary = (HEADER,) + ((self.legacy_header,) if self.legacy_header else ())
            object.__setattr__(self, "vary", vary)

    def _requested(self, headers: _Headers) -> str | None:
        for value in headers.getlist(HEADER):
            for item in value.split(","):
                parts = item.strip().split(None, 1)
                if len(parts) == 2 and parts[0].lower() == self.service_type:
                    return parts[1].strip()
        if self.legacy_header:
            legacy = headers.getlist(self.legacy_header)
            if legacy:
                return legacy[-1].strip()
        return None

    def negotiate(self, headers: _Headers) -> Version:
        """The version a request gets, or a 400/406 ApiError."""
        requested = self._requested(headers)
        if requested is None:
            return self.min
        if requested.lower() == "latest":
            return self.max
        try:
            version = Version.parse(requested, self.lenient)
        except ValueError:
            raise errors.BadRequest(
                self.invalid_message.format(value=requested, reason=_int_pair_error(requested)),
                code=self.error_code,
            ) from None
        if not self.min <= version <= self.max:
            raise errors.NotAcceptable(
                self.unsupported_message.format(version=version, min=self.min, max=self.max),
                code=self.error_code,
                extra={"max_version": str(self.max), "min_version": str(self.min)},
            )
        return version

    def response_headers(self, version: Version | None) -> list[tuple[str, str]]:
        headers = [("Vary", ", ".join(self.vary))]
        if version is not None:
            headers.append((HEADER, f"{self.service_type} {version}"))
            if self.legacy_header:
                headers.append((self.legacy_header, str(version)))
        return headers


_IntPair = collections.namedtuple("_IntPair", "major minor")


def _int_pair_error(text: str) -> str:
    """Why Python cannot read `text` as two integers split at the first dot,
    in Python's words (microversion-parse reports these), or ''."""
    try:
        _IntPair(*(int(part) for part in text.split(".", 1)))
    except (ValueError, TypeError) as exc:
        return str(exc).replace("_IntPair", "Version")
    return ""
