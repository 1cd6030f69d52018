"""Upstream Placement's own gabbi API tests, run against Nimbus placement.

Every YAML file of openstack-placement's functional gabbits (fetched from
PyPI, see tests/support/placement_gabbits.py) becomes one pytest test per
request, in file order and on one xdist worker (the requests of a file
build on each other). Each file gets a fresh server started by the fixture
it names (gabbi_fixtures.py). Tests in gabbits-expected-failures.txt are
strict xfails; those in UNREPRODUCIBLE are skipped, for every target.

``NIMBUS_GABBITS_TARGET=upstream:/path/to/venv`` runs the same tests against
upstream Placement instead, with no expected failures, to check the fixtures::

    python3 -m venv /tmp/up && /tmp/up/bin/pip install openstack-placement==16.0.0 gunicorn
    NIMBUS_GABBITS_TARGET=upstream:/tmp/up .venv/bin/python -m pytest -n 2 \\
        --dist loadgroup tests/functional/placement/test_gabbits.py

Select files with ``-k``, e.g. ``-k "allocation-candidates and not rbac"``.
"""

from __future__ import annotations

import atexit
import json
import os
import unittest
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet
from gabbi import driver

from tests.functional.placement import gabbi_fixtures
from tests.support import placement_gabbits
from tests.support.backends import required

# Upstream's fixture loads its policy with deprecation warnings suppressed.
pytestmark = pytest.mark.filterwarnings("ignore:Policy .* was deprecated:UserWarning")

# Tests whose outcome depends on how upstream's in-process fixtures build
# their data, which no HTTP client can reproduce: skipped for every target.
UNREPRODUCIBLE: dict[placement_gabbits.Key, str] = {
    ("basic-http", "bad content length not int"):
        "a Content-Length of 'hi mom' cannot go on the wire: the HTTP client (h11) "
        "refuses to send it; upstream's in-process WSGI intercept hands it to the app",
}


@dataclass
class GabbiFile:
    """One YAML file: its port, its suite, whether its fixture started."""

    stem: str
    suite: Any
    reservation: placement_gabbits.PortReservation
    fixtures: list[Any] = field(default_factory=list)
    failure: str | None = None
    started: bool = False


@dataclass(frozen=True)
class Gabbit:
    file: GabbiFile
    case: Any  # a gabbi HTTPTestCase
    name: str
    index: int


def _cases(suite: Any) -> Iterator[Any]:
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _cases(test)
        else:
            yield test


def _load() -> tuple[list[ParameterSet], str | None]:
    try:
        directory = placement_gabbits.gabbits_dir()
    except placement_gabbits.Unavailable as exc:
        return [], str(exc)
    recording = bool(os.environ.get(placement_gabbits.RECORD_ENV))
    on_nimbus = placement_gabbits.target().name == "nimbus"
    expected = {} if recording or not on_nimbus else placement_gabbits.read_list(
        placement_gabbits.EXPECTED_FAILURES)
    params = []
    for path in placement_gabbits.yaml_files(directory):
        reservation = placement_gabbits.PortReservation()
        atexit.register(reservation.release)
        suite = driver.build_tests(
            str(path.parent), unittest.TestLoader(), host="127.0.0.1", port=reservation.port,
            prefix="", fixture_module=gabbi_fixtures, test_loader_name=__name__,
            # Plain HTTP only; validating would load the CA bundle once per test.
            cert_validate=False)
        gabbi_file = GabbiFile(path.stem, suite, reservation)
        cases = list(_cases(suite))
        names = placement_gabbits.unique_names([case.test_data["name"] for case in cases])
        for index, (case, name) in enumerate(zip(cases, names, strict=True)):
            key = (path.stem, name)
            marks: list[Any] = [pytest.mark.xdist_group(f"gabbi-{path.stem}")]
            if key in UNREPRODUCIBLE:
                marks.append(pytest.mark.skip(reason=f"not reproducible over HTTP: "
                                              f"{UNREPRODUCIBLE[key]}"))
            elif key in expected:
                marks.append(pytest.mark.xfail(strict=True, reason=expected[key] or "listed"))
            params.append(pytest.param(Gabbit(gabbi_file, case, name, index), marks=marks,
                                       id=f"{path.stem}:{name}"))
    return params, None


PARAMS, UNAVAILABLE = _load()
if UNAVAILABLE:
    PARAMS = [pytest.param(None, id="unavailable", marks=pytest.mark.skip(
        reason=f"upstream placement gabbits unavailable: {UNAVAILABLE}"))]


class Runner:
    """Starts a file's fixture before its first test, stops it before the next file's."""

    def __init__(self) -> None:
        self.active: GabbiFile | None = None

    def enter(self, gabbi_file: GabbiFile) -> None:
        if self.active is gabbi_file:
            return
        self.leave()
        self.active = gabbi_file
        if gabbi_file.started:
            gabbi_file.failure = gabbi_file.failure or (
                "its tests ran out of order: its server was already stopped")
            return
        gabbi_file.started = True
        gabbi_fixtures.use_port(gabbi_file.reservation)
        first = next(_cases(gabbi_file.suite))
        try:
            for fixture_class in first.fixtures:
                fix = fixture_class()
                fix.__enter__()
                gabbi_file.fixtures.append(fix)
        except unittest.SkipTest as exc:
            gabbi_file.failure = f"skip: {exc}"
        except Exception as exc:
            gabbi_file.failure = (f"fixture {[c.__name__ for c in first.fixtures]} did not start: "
                                  f"{type(exc).__name__}: {exc}")

    def leave(self) -> None:
        if self.active is None:
            return
        for fix in reversed(self.active.fixtures):
            fix.__exit__(None, None, None)
        self.active.fixtures.clear()
        self.active = None


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    running = Runner()
    try:
        yield running
    finally:
        running.leave()


def _outcome(gabbit: Gabbit) -> tuple[str, str]:
    """('passed' | 'failed' | 'skipped', message) of one gabbi request."""
    if gabbit.file.failure:
        if gabbit.file.failure.startswith("skip: "):
            return "skipped", gabbit.file.failure[6:]
        return "failed", gabbit.file.failure
    result = unittest.TestResult()
    try:
        gabbit.case.run(result)
    finally:
        # gabbi gives each request its own httpx client and never closes
        # it: ~1,300 kept-alive sockets in one worker otherwise.
        gabbit.case.http.client.close()
    problems = result.errors + result.failures + [
        (case, "unexpected success (gabbi xfail)") for case in result.unexpectedSuccesses]
    if problems:
        return "failed", "\n".join(text for _case, text in problems)
    if result.skipped:
        return "skipped", result.skipped[0][1]
    return "passed", ""


def _failure_summary(message: str) -> str:
    """The assertion out of a traceback, first."""
    lines = message.rstrip().splitlines()
    for number, line in enumerate(lines):
        if line.startswith(("AssertionError", "gabbi.exception", "httpx.")) or (
                "Error: " in line and not line.startswith(" ")):
            return "\n".join(lines[number:] + ["", "--- traceback ---"] + lines[:number])
    return message


def _record(gabbit: Gabbit, outcome: str, message: str) -> None:
    path = os.environ.get(placement_gabbits.RECORD_ENV)
    if not path:
        return
    line = json.dumps({"stem": gabbit.file.stem, "name": gabbit.name, "index": gabbit.index,
                       "outcome": outcome, "message": _failure_summary(message)})
    with open(path, "a") as fh:
        fh.write(line + "\n")


@pytest.mark.parametrize("gabbit", PARAMS)
def test_gabbit(gabbit: Gabbit, runner: Runner) -> None:
    runner.enter(gabbit.file)
    outcome, message = _outcome(gabbit)
    _record(gabbit, outcome, message)
    if outcome == "skipped":
        pytest.skip(message)
    if outcome == "failed":
        pytest.fail(f"{gabbit.file.stem}: {gabbit.name}\n{_failure_summary(message)}",
                    pytrace=False)


def test_gabbits_available() -> None:
    """The upstream gabbits were fetched (or, offline, why not)."""
    if UNAVAILABLE:
        message = f"upstream placement gabbits unavailable: {UNAVAILABLE}"
        if required():
            pytest.fail(message + " and NIMBUS_REQUIRE_SERVICES=1")
        pytest.skip(message)
    assert len(PARAMS) > 1000


def test_expected_failures_name_real_tests() -> None:
    """Every line of the expected-failures list names a gabbi test."""
    if UNAVAILABLE:
        pytest.skip(f"upstream placement gabbits unavailable: {UNAVAILABLE}")
    known = {(p.values[0].file.stem, p.values[0].name) for p in PARAMS}  # type: ignore[union-attr]
    listed = placement_gabbits.read_list(placement_gabbits.EXPECTED_FAILURES)
    stale = sorted(set(listed) - known) + sorted(set(UNREPRODUCIBLE) - known)
    assert not stale, f"no such gabbi tests: {stale}"
