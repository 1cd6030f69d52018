"""Run qemu-img on untrusted images: explicit formats, plain file paths, CPU and memory limits.

qemu-img is only ever told the format (never left to probe it), is given
absolute paths (so a name like `json:{...}` or `nbd:...` stays a file name),
and runs under RLIMIT_AS and RLIMIT_CPU (Glance's defence against crafted
images, bug 1449062) plus a wall-clock timeout. Call format_inspector.check()
first: qemu-img info still opens a qcow2 data file or VMDK extents.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import orjson

QEMU_IMG = "qemu-img"

# Image disk_format (or qemu driver name) -> the qemu block driver that reads it.
DRIVERS = {
    "raw": "raw", "iso": "raw", "ami": "raw", "ari": "raw", "aki": "raw",
    "qcow2": "qcow2", "vmdk": "vmdk", "vhd": "vpc", "vpc": "vpc", "vhdx": "vhdx",
    "vdi": "vdi", "ploop": "parallels", "parallels": "parallels",
}
# Creation options that would point the new image at another file.
_FORBIDDEN_OPTIONS = {"backing_file", "backing_fmt", "data_file", "data_file_raw"}
_OPTION_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")
_OPTION_VALUE = re.compile(r"^[A-Za-z0-9_.+-]+$")

# Run in a fresh interpreter between fork and exec of qemu-img: lowering the
# limits there, rather than in a preexec_fn, is safe in a threaded server.
_LIMITED_EXEC = """\
import os, resource, sys
def lower(kind, soft, hard):
    old = resource.getrlimit(kind)[1]
    if old != resource.RLIM_INFINITY:
        soft, hard = min(soft, old), min(hard, old)
    resource.setrlimit(kind, (soft, hard))
memory, cpu = int(sys.argv[1]), int(sys.argv[2])
lower(resource.RLIMIT_AS, memory, memory)
lower(resource.RLIMIT_CPU, cpu, cpu + 1)
os.execv(sys.argv[3], sys.argv[3:])
"""


class QemuImgError(Exception):
    """qemu-img failed, was killed or timed out; str() is a one-line reason."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def driver(fmt: str) -> str:
    """The qemu block driver for a disk_format (vhd -> vpc, iso -> raw ...)."""
    try:
        return DRIVERS[fmt]
    except KeyError:
        raise QemuImgError(f"qemu-img is not used for format {fmt!r}") from None


def _file(path: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.fsdecode(path))


def _one_line(text: str, limit: int = 400) -> str:
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= limit else line[:limit] + "..."


def _run(action: str, args: list[str], *, memory_limit: int, cpu_seconds: int,
         timeout: float | None) -> str:
    if memory_limit <= 0 or cpu_seconds <= 0:
        raise ValueError("memory_limit and cpu_seconds must be positive")
    binary = shutil.which(QEMU_IMG)
    if binary is None:
        raise QemuImgError(f"{QEMU_IMG} is not installed")
    command = [sys.executable, "-I", "-S", "-c", _LIMITED_EXEC,
               str(memory_limit), str(cpu_seconds), binary, action, *args]
    env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise QemuImgError(f"qemu-img {action} timed out after {timeout:g}s") from None
    except OSError as exc:
        raise QemuImgError(f"qemu-img {action} could not be started: {exc}") from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        if -done.returncode == signal.SIGXCPU:
            why = f" (CPU limit of {cpu_seconds}s)"
        else:
            why = f": {_one_line(stderr)}" if stderr.strip() else ""
        raise QemuImgError(f"qemu-img {action} was killed by {name}{why}",
                           returncode=done.returncode, stderr=stderr)
    if done.returncode:
        reason = _one_line(stderr) or "no error message"
        raise QemuImgError(f"qemu-img {action} failed (exit {done.returncode}): {reason}",
                           returncode=done.returncode, stderr=stderr)
    return done.stdout.decode("utf-8", "replace")


def info(path: str | os.PathLike[str], fmt: str, *, memory_limit: int = 1 << 30,
         cpu_seconds: int = 30, timeout: float | None = 60.0) -> dict[str, Any]:
    """`qemu-img info -f <driver> --output=json <path>`, parsed.

    :raises QemuImgError: unknown format, qemu-img missing, failing, killed
        by a limit, timing out, or printing something that is not a JSON object.
    """
    out = _run("info", ["-f", driver(fmt), "--output=json", _file(path)],
               memory_limit=memory_limit, cpu_seconds=cpu_seconds, timeout=timeout)
    try:
        parsed = orjson.loads(out)
    except orjson.JSONDecodeError:
        raise QemuImgError("qemu-img info printed invalid JSON") from None
    if not isinstance(parsed, dict):
        raise QemuImgError("qemu-img info printed JSON that is not an object")
    return parsed


def _options(options: Mapping[str, str]) -> str:
    for name, value in options.items():
        if name in _FORBIDDEN_OPTIONS:
            raise QemuImgError(f"qemu-img option {name!r} is not allowed")
        if not _OPTION_NAME.match(name) or not _OPTION_VALUE.match(value):
            raise QemuImgError(f"Invalid qemu-img option {name}={value}")
    return ",".join(f"{name}={value}" for name, value in options.items())


def convert(src: str | os.PathLike[str], src_fmt: str, dst: str | os.PathLike[str],
            dst_fmt: str, *, options: Mapping[str, str] | None = None,
            memory_limit: int = 1 << 30, cpu_seconds: int = 600,
            timeout: float | None = 3600.0) -> None:
    """`qemu-img convert -f <driver> -O <driver> [-o options] <src> <dst>`.

    `options` are creation options of the output format (subformat, compat
    ...); those naming other files are refused. A `dst` this call created is
    removed when the conversion fails.

    :raises QemuImgError: as info(), or src and dst are the same file.
    """
    source, target = _file(src), _file(dst)
    if source == target or (os.path.exists(source) and os.path.exists(target)
                            and os.path.samefile(source, target)):
        raise QemuImgError("qemu-img convert needs distinct source and destination")
    args = ["-f", driver(src_fmt), "-O", driver(dst_fmt)]
    if options:
        args += ["-o", _options(options)]
    existed = os.path.lexists(target)
    try:
        _run("convert", [*args, source, target], memory_limit=memory_limit,
             cpu_seconds=cpu_seconds, timeout=timeout)
    except QemuImgError:
        if not existed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        raise
