"""The qemu-img wrapper: explicit formats, plain paths, limits, timeouts and clear errors."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from nimbus.image import format_inspector, qemu_img
from tests.unit.image.qemu_tools import create, need_qemu_img

MiB = 1 << 20


@pytest.fixture
def qemu() -> str:
    return need_qemu_img()


@pytest.fixture
def fake_qemu_img(tmp_path, monkeypatch):
    """Point the wrapper at a shell script standing in for qemu-img."""

    def install(body: str) -> Path:
        script = tmp_path / "fake-qemu-img"
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(0o755)
        monkeypatch.setattr(qemu_img, "QEMU_IMG", str(script))
        return script

    return install


# -- info ------------------------------------------------------------------------

def test_info_reports_what_qemu_img_sees(qemu, tmp_path):
    path = create(tmp_path / "disk", "qcow2", 10 * MiB)
    found = qemu_img.info(path, "qcow2")
    assert (found["format"], found["virtual-size"]) == ("qcow2", 10 * MiB)
    assert found["filename"] == str(path)


def test_info_names_glance_formats_by_their_qemu_driver(qemu, tmp_path):
    vhd = create(tmp_path / "disk.vhd", "vpc", 10 * MiB)
    assert qemu_img.info(vhd, "vhd")["format"] == "vpc"
    iso = tmp_path / "cd.iso"
    iso.write_bytes(bytes(4096))
    assert qemu_img.info(iso, "iso")["format"] == "raw"


def test_info_never_lets_qemu_img_probe(qemu, tmp_path):
    path = create(tmp_path / "disk", "qcow2", 10 * MiB)
    found = qemu_img.info(path, "raw")  # read as raw, as told: no qcow2 parsing
    assert found["format"] == "raw"
    assert found["virtual-size"] == -(-path.stat().st_size // 512) * 512 < 10 * MiB


def test_a_protocol_looking_file_name_stays_a_file(qemu, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'json:{"driver":"null-co","size":4096}'
    Path(name).write_bytes(bytes(MiB))
    found = qemu_img.info(name, "raw")
    assert found["virtual-size"] == MiB
    assert found["filename"] == str(tmp_path / name)


@pytest.mark.parametrize("fmt", ["qed", "vvfat", "luks", "", "-f"])
def test_unknown_formats_are_refused(fmt, tmp_path):
    with pytest.raises(qemu_img.QemuImgError, match="not used for format"):
        qemu_img.info(tmp_path / "disk", fmt)


def test_failures_carry_the_reason(qemu, tmp_path):
    with pytest.raises(qemu_img.QemuImgError, match=r"exit 1\): .*No such file") as error:
        qemu_img.info(tmp_path / "missing", "qcow2")
    assert error.value.returncode == 1
    assert "No such file" in error.value.stderr


def test_missing_qemu_img(monkeypatch, tmp_path):
    monkeypatch.setattr(qemu_img, "QEMU_IMG", "nimbus-no-such-qemu-img")
    with pytest.raises(qemu_img.QemuImgError, match="not installed"):
        qemu_img.info(tmp_path / "disk", "raw")


def test_limits_and_arguments_reach_qemu_img(fake_qemu_img, tmp_path):
    fake_qemu_img('printf \'{"args": "%s", "as_kib": %s, "cpu": %s, "cpu_hard": %s}\' '
                  '"$*" "$(ulimit -v)" "$(ulimit -t)" "$(ulimit -H -t)"\n')
    found = qemu_img.info(tmp_path / "disk", "vhd", memory_limit=300 * MiB, cpu_seconds=7)
    assert found == {"args": f"info -f vpc --output=json {tmp_path / 'disk'}",
                     "as_kib": 300 * 1024, "cpu": 7, "cpu_hard": 8}


def test_cpu_limit_kills_qemu_img(fake_qemu_img, tmp_path):
    fake_qemu_img("while :; do :; done\n")
    with pytest.raises(qemu_img.QemuImgError, match=r"killed by SIGXCPU \(CPU limit of 1s\)"):
        qemu_img.info(tmp_path / "disk", "raw", cpu_seconds=1, timeout=30)


def test_memory_limit_stops_qemu_img(qemu, tmp_path):
    path = create(tmp_path / "disk", "qcow2", MiB)
    with pytest.raises(qemu_img.QemuImgError, match="qemu-img info"):
        qemu_img.info(path, "qcow2", memory_limit=16 * MiB)
    assert qemu_img.info(path, "qcow2")["format"] == "qcow2"


def test_timeout_kills_qemu_img(fake_qemu_img, tmp_path):
    marker = tmp_path / "pid"
    fake_qemu_img(f"echo $$ > {marker}\nexec sleep 60\n")
    started = time.monotonic()
    with pytest.raises(qemu_img.QemuImgError, match="timed out after 0.5s"):
        qemu_img.info(tmp_path / "disk", "raw", timeout=0.5)
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)


@pytest.mark.parametrize(("output", "reason"), [
    ("not json", "invalid JSON"),
    ("[1, 2]", "not an object"),
])
def test_output_that_is_not_a_json_object(fake_qemu_img, tmp_path, output, reason):
    fake_qemu_img(f"echo '{output}'\n")
    with pytest.raises(qemu_img.QemuImgError, match=reason):
        qemu_img.info(tmp_path / "disk", "raw")


def test_killed_by_a_signal(fake_qemu_img, tmp_path):
    fake_qemu_img("echo 'out of memory' >&2\nkill -ABRT $$\n")
    with pytest.raises(qemu_img.QemuImgError, match="killed by SIGABRT: out of memory") as error:
        qemu_img.info(tmp_path / "disk", "raw")
    assert error.value.returncode == -signal.SIGABRT


def test_limits_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        qemu_img.info(tmp_path / "disk", "raw", memory_limit=0)
    with pytest.raises(ValueError):
        qemu_img.info(tmp_path / "disk", "raw", cpu_seconds=-1)


# -- convert ---------------------------------------------------------------------

def test_convert_round_trip_keeps_the_data(qemu, tmp_path):
    src = tmp_path / "src.raw"
    data = os.urandom(3 * MiB)
    src.write_bytes(data)
    qemu_img.convert(src, "raw", tmp_path / "mid.qcow2", "qcow2")
    assert format_inspector.inspect(tmp_path / "mid.qcow2").format == "qcow2"
    qemu_img.convert(tmp_path / "mid.qcow2", "qcow2", tmp_path / "back.raw", "raw")
    assert (tmp_path / "back.raw").read_bytes() == data


@pytest.mark.parametrize(("fmt", "options", "expected"), [
    ("vmdk", {"subformat": "streamOptimized"}, "vmdk"),
    ("vhd", None, "vhd"),
    ("vhdx", None, "vhdx"),
    ("qcow2", {"compat": "0.10", "cluster_size": "4096"}, "qcow2"),
])
def test_convert_to_other_formats(qemu, tmp_path, fmt, options, expected):
    src = tmp_path / "src.raw"
    src.write_bytes(os.urandom(MiB))
    dst = tmp_path / "dst"
    qemu_img.convert(src, "raw", dst, fmt, options=options)
    found = format_inspector.check(dst, expected)
    assert found.virtual_size >= MiB


@pytest.mark.parametrize(("options", "reason"), [
    ({"backing_file": "base"}, "not allowed"),
    ({"data_file": "data"}, "not allowed"),
    ({"compat": "1.1,backing_file=x"}, "Invalid"),
    ({"subformat": "../x"}, "Invalid"),
    ({"Bad Name": "1"}, "Invalid"),
])
def test_convert_refuses_dangerous_options(qemu, tmp_path, options, reason):
    src = create(tmp_path / "src", "raw", MiB)
    with pytest.raises(qemu_img.QemuImgError, match=reason):
        qemu_img.convert(src, "raw", tmp_path / "dst", "qcow2", options=options)
    assert not (tmp_path / "dst").exists()


def test_convert_refuses_converting_a_file_onto_itself(qemu, tmp_path, monkeypatch):
    src = create(tmp_path / "src", "raw", MiB)
    os.link(src, tmp_path / "hardlink")
    monkeypatch.chdir(tmp_path)
    for dst in (src, "src", tmp_path / "hardlink"):
        with pytest.raises(qemu_img.QemuImgError, match="distinct"):
            qemu_img.convert(src, "raw", dst, "qcow2")
    assert src.stat().st_size == MiB


def test_failed_convert_leaves_no_output(fake_qemu_img, tmp_path):
    fake_qemu_img('for last; do :; done\necho partial > "$last"\n'
                  'echo "qemu-img: error while writing sector 2048" >&2\nexit 1\n')
    src = tmp_path / "src"
    src.write_bytes(bytes(MiB))
    with pytest.raises(qemu_img.QemuImgError, match=r"convert failed \(exit 1\): .*sector 2048"):
        qemu_img.convert(src, "raw", tmp_path / "dst", "qcow2")
    assert not (tmp_path / "dst").exists()
    existing = tmp_path / "existing"
    existing.write_bytes(b"keep")
    with pytest.raises(qemu_img.QemuImgError):
        qemu_img.convert(src, "raw", existing, "qcow2")
    assert existing.exists()  # not ours to remove


def test_convert_of_a_missing_source(qemu, tmp_path):
    with pytest.raises(qemu_img.QemuImgError, match="No such file"):
        qemu_img.convert(tmp_path / "missing", "qcow2", tmp_path / "dst", "raw")
    assert not (tmp_path / "dst").exists()


# -- the test helper itself --------------------------------------------------------

def test_tests_skip_without_qemu_img_unless_services_are_required(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("NIMBUS_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="qemu-img is not installed"):
        need_qemu_img()
    monkeypatch.setenv("NIMBUS_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="NIMBUS_REQUIRE_SERVICES=1"):
        need_qemu_img()
