"""qemu-img for the image tests: skip without it (fail when services are required), make images."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.backends import required


def need_qemu_img() -> str:
    """The path of qemu-img; skip the test (or fail it when
    NIMBUS_REQUIRE_SERVICES=1) when it is not installed."""
    path = shutil.which("qemu-img")
    if path:
        return path
    message = "qemu-img is not installed (`make deps` installs qemu-utils)"
    if required():
        pytest.fail(message + " and NIMBUS_REQUIRE_SERVICES=1")
    pytest.skip(message)


def create(path: Path, fmt: str, size: int | None = None, options: Sequence[str] = (),
           backing: tuple[Path, str] | None = None) -> Path:
    """`qemu-img create` an image at `path`."""
    command = ["qemu-img", "create", "-q", "-f", fmt]
    if backing:
        command += ["-b", str(backing[0]), "-F", backing[1]]
    if options:
        command += ["-o", ",".join(options)]
    command.append(str(path))
    if size is not None:
        command.append(str(size))
    subprocess.run(command, check=True, capture_output=True)
    return path


def qemu_info(path: Path, driver: str) -> dict[str, Any]:
    """What qemu-img itself says about an image, format given explicitly."""
    done = subprocess.run(["qemu-img", "info", "-f", driver, "--output=json", str(path)],
                          check=True, capture_output=True)
    info: dict[str, Any] = json.loads(done.stdout)
    return info
