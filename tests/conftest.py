"""Fixtures shared by every test: backends and running clouds."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.backends import BACKENDS, fresh_database
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def cloud(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """An all-in-one cloud per backend, shared by the tests of a worker."""
    data_dir = str(tmp_path_factory.mktemp(f"cloud-{backend}"))
    with fresh_database(backend, data_dir, "identity") as url:
        running = RunningCloud(data_dir, url)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def sqlite_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """One cloud on SQLite, for tests whose subject is not the database (the
    CLI, middleware that only speaks HTTP): they need not run three times."""
    data_dir = str(tmp_path_factory.mktemp("cloud-lone"))
    with fresh_database("sqlite", data_dir, "identity") as url:
        running = RunningCloud(data_dir, url)
        try:
            yield running
        finally:
            running.stop()


def pytest_configure(config: pytest.Config) -> None:
    # Clients in tests get their settings explicitly, never from the
    # environment of whoever runs the tests.
    for key in list(os.environ):
        if key.startswith("OS_"):
            del os.environ[key]
