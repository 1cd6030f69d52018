"""The compute microversion history is sequential, and its newest is asserted
here so that a bump must touch a test."""

from __future__ import annotations

import re

from nimbus.common.api.microversion import Version
from nimbus.compute import versions


def test_history_is_sequential_from_2_1():
    parsed = [Version.parse(v) for v in versions.VERSIONS]
    assert parsed[0] == Version(2, 1)
    for before, after in zip(parsed, parsed[1:], strict=False):
        assert (after.major, after.minor) == (before.major, before.minor + 1), after


def test_every_version_says_what_it_added():
    source = open(versions.__file__).read()
    for version in versions.VERSIONS:
        line = re.search(rf'^\s+"{re.escape(version)}",\s+#\s*(\S.*)$', source, re.M)
        assert line, f"{version} has no comment"


def test_range_and_legacy_header():
    assert str(versions.API_VERSIONS.min) == "2.1"
    assert str(versions.API_VERSIONS.max) == "2.104"
    assert versions.API_VERSIONS.legacy_header == "X-OpenStack-Nova-API-Version"
