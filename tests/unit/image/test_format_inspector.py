"""Format inspection on images qemu-img makes and on crafted, truncated and hostile bytes."""

from __future__ import annotations

import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from nimbus.image import format_inspector as fi
from tests.unit.image.qemu_tools import create, need_qemu_img, qemu_info

MiB = 1 << 20
ODD_SIZE = 1000013312  # a multiple of 512, not of any cluster or block size


@pytest.fixture
def qemu() -> str:
    return need_qemu_img()


def write(path: Path, data: bytes, size: int | None = None) -> Path:
    path.write_bytes(data)
    if size is not None:
        os.truncate(path, size)
    return path


def patch(path: Path, offset: int, data: bytes) -> Path:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
    return path


# -- images made by qemu-img: the virtual size is what qemu-img says ----------

GOOD = [
    # (qemu driver, create options, inspected format); fully allocated ones are kept small
    ("raw", (), "raw"),
    ("qcow2", (), "qcow2"),
    ("qcow2", ("compat=0.10",), "qcow2"),
    ("qcow2", ("cluster_size=512",), "qcow2"),
    ("qcow2", ("extended_l2=on",), "qcow2"),
    ("qcow2", ("compression_type=zstd",), "qcow2"),
    ("vmdk", ("subformat=monolithicSparse",), "vmdk"),
    ("vmdk", ("subformat=streamOptimized",), "vmdk"),
    ("vpc", (), "vhd"),
    ("vpc", ("subformat=fixed",), "vhd"),
    ("vpc", ("force_size=on",), "vhd"),
    ("vhdx", (), "vhdx"),
    ("vdi", (), "vdi"),
]
PREALLOCATED = [("vhdx", ("subformat=fixed",), "vhdx"), ("vdi", ("static=on",), "vdi")]


@pytest.mark.parametrize(("driver", "options", "expected", "size"), [
    *[(*case, size) for case in GOOD for size in (10 * MiB, ODD_SIZE)],
    *[(*case, 10 * MiB + 3 * 512) for case in PREALLOCATED],
])
def test_images_made_by_qemu_img(qemu, tmp_path, driver, options, expected, size):
    path = create(tmp_path / "disk", driver, size, options)
    found = fi.inspect(path)
    assert found == fi.Inspection(expected, qemu_info(path, driver)["virtual-size"],
                                  path.stat().st_size)
    assert fi.check(path, expected) == found


def test_streamoptimized_made_by_convert(qemu, tmp_path):
    raw = write(tmp_path / "raw", os.urandom(MiB), 3 * MiB)
    out = tmp_path / "out.vmdk"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "vmdk", "-o",
                    "subformat=streamOptimized", str(raw), str(out)], check=True)
    assert fi.inspect(out).virtual_size == qemu_info(out, "vmdk")["virtual-size"] == 3 * MiB


def test_empty_and_garbage_files_are_raw(tmp_path):
    assert fi.inspect(write(tmp_path / "empty", b"")) == fi.Inspection("raw", 0, 0)
    noise = random.Random(7).randbytes(MiB)
    assert fi.inspect(write(tmp_path / "noise", noise)) == fi.Inspection("raw", MiB, MiB)


# -- refused: images that make QEMU open other files ----------------------------

def test_qcow2_with_backing_file_is_unsafe(qemu, tmp_path):
    base = create(tmp_path / "base", "raw", MiB)
    path = create(tmp_path / "top", "qcow2", backing=(base, "raw"))
    assert qemu_info(path, "qcow2")["backing-filename"]
    with pytest.raises(fi.UnsafeImage, match="backing file"):
        fi.inspect(path)
    with pytest.raises(fi.UnsafeImage):
        fi.check(path, "qcow2")


def test_qcow2_with_external_data_file_is_unsafe(qemu, tmp_path):
    path = create(tmp_path / "top", "qcow2", MiB, [f"data_file={tmp_path / 'data'}"])
    assert qemu_info(path, "qcow2")["format-specific"]["data"]["data-file"]
    with pytest.raises(fi.UnsafeImage, match="external data file"):
        fi.inspect(path)


@pytest.mark.parametrize("subformat", ["monolithicFlat", "twoGbMaxExtentSparse",
                                       "twoGbMaxExtentFlat"])
def test_vmdk_descriptor_files_are_unsafe(qemu, tmp_path, subformat):
    path = create(tmp_path / "disk.vmdk", "vmdk", MiB, [f"subformat={subformat}"])
    with pytest.raises(fi.UnsafeImage, match=subformat):
        fi.inspect(path)
    extents = sorted(p for p in tmp_path.iterdir() if p != path)
    assert extents
    for extent in extents:  # flat extents are raw; sparse ones have no descriptor
        if extent.read_bytes()[:4] == b"KDMV":
            with pytest.raises(fi.UnsafeImage, match="descriptor"):
                fi.inspect(extent)
        else:
            assert fi.inspect(extent).format == "raw"


def test_qed_is_refused(qemu, tmp_path):
    with pytest.raises(fi.UnsafeImage, match="QED"):
        fi.inspect(create(tmp_path / "disk", "qed", MiB))


# -- VMDK: the embedded descriptor, as QEMU reads it ----------------------------

def sparse_vmdk(tmp_path: Path, name: str = "disk.vmdk") -> Path:
    return create(tmp_path / name, "vmdk", 10 * MiB, ["subformat=monolithicSparse"])


def rewrite_descriptor(path: Path, change) -> Path:
    data = bytearray(path.read_bytes())
    text = bytes(data[0x200:0x200 + 20 * 512]).split(b"\0", 1)[0].decode()
    new = change(text).encode()
    assert len(new) <= 20 * 512
    data[0x200:0x200 + 20 * 512] = new.ljust(20 * 512, b"\0")
    path.write_bytes(bytes(data))
    return path


def test_vmdk_parent_is_unsafe_and_qemu_would_follow_it(qemu, tmp_path):
    sparse_vmdk(tmp_path, "parent.vmdk")
    path = rewrite_descriptor(sparse_vmdk(tmp_path), lambda t: t.replace(
        "parentCID=ffffffff", 'parentCID=12345678\nparentFileNameHint="parent.vmdk"'))
    assert qemu_info(path, "vmdk").get("backing-filename") == "parent.vmdk"
    with pytest.raises(fi.UnsafeImage, match="parent"):
        fi.inspect(path)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda t: t.replace('SPARSE "disk.vmdk"', 'SPARSE "/etc/passwd"'), "extent"),
    (lambda t: t.replace('SPARSE "disk.vmdk"', 'SPARSE "..\\\\disk.vmdk"'), "extent"),
    (lambda t: t.replace('SPARSE "disk.vmdk"', 'FLAT "disk.vmdk" 0'), "extent"),
    (lambda t: t.replace("RW 20480 SPARSE", 'RW 1 SPARSE "x.vmdk"\nRW 20480 SPARSE'), "2 extents"),
    (lambda t: t.replace("RW 20480", "# RW 20480"), "0 extents"),
    (lambda t: t.replace("monolithicSparse", "monolithicFlat"), "monolithicFlat"),
    (lambda t: t.replace('createType="monolithicSparse"', ""), "createType"),
    (lambda t: t + "include /etc/shadow\n", "unrecognised"),
    (lambda t: t.replace("# Disk", "# Disk \xe9"), "ASCII"),
])
def test_vmdk_descriptor_must_describe_only_the_image(qemu, tmp_path, change, reason):
    path = rewrite_descriptor(sparse_vmdk(tmp_path), change)
    with pytest.raises(fi.UnsafeImage, match=reason):
        fi.inspect(path)


def test_vmdk_descriptor_names_with_spaces_and_any_case_are_fine(qemu, tmp_path):
    path = rewrite_descriptor(sparse_vmdk(tmp_path), lambda t: t.replace(
        '"disk.vmdk"', '"my disk.vmdk"').replace("monolithicSparse", "MONOLITHICSPARSE"))
    assert fi.inspect(path).virtual_size == 10 * MiB


def test_vmdk_header_fields_that_redirect_qemu(qemu, tmp_path):
    path = sparse_vmdk(tmp_path)
    patch(path, 12, struct.pack("<Q", 0))  # capacity 0: QEMU opens the extents instead
    with pytest.raises(fi.UnsafeImage, match="zero capacity"):
        fi.inspect(path)
    path = patch(sparse_vmdk(tmp_path), 28, struct.pack("<Q", 2))  # descriptor elsewhere
    with pytest.raises(fi.UnsafeImage, match="sector 1"):
        fi.inspect(path)
    path = patch(sparse_vmdk(tmp_path), 4, struct.pack("<I", 9))
    with pytest.raises(fi.ImageFormatError, match="version 9"):
        fi.inspect(path)
    with pytest.raises(fi.UnsafeImage, match="COWD"):
        fi.inspect(patch(sparse_vmdk(tmp_path), 0, b"COWD"))


def footer_vmdk(tmp_path: Path, footer_capacity: int) -> Path:
    """A streamOptimized VMDK the way VMware writes it: the grain directory
    offset in the header is ~0 and a footer at the end has the real header."""
    path = create(tmp_path / "s.vmdk", "vmdk", 10 * MiB, ["subformat=streamOptimized"])
    header = bytearray(path.read_bytes()[:512])
    footer = bytearray(header)
    struct.pack_into("<Q", footer, 12, footer_capacity)
    struct.pack_into("<Q", header, 56, 0xFFFFFFFFFFFFFFFF)
    marker = struct.pack("<QII", 1, 0, 3).ljust(512, b"\0")
    patch(path, 0, bytes(header))
    with open(path, "ab") as f:
        f.write(marker + bytes(footer) + bytes(512))
    return path


def test_vmdk_footer_takes_precedence_like_qemu(qemu, tmp_path):
    path = footer_vmdk(tmp_path, 2 * 20480)
    assert fi.inspect(path).virtual_size == qemu_info(path, "vmdk")["virtual-size"] == 20 * MiB


def test_vmdk_footer_is_checked(qemu, tmp_path):
    path = footer_vmdk(tmp_path, 20480)
    size = path.stat().st_size
    with pytest.raises(fi.ImageFormatError, match="footer marker"):
        fi.inspect(patch(path, size - 1536 + 12, struct.pack("<I", 2)))
    path = footer_vmdk(tmp_path, 20480)
    with pytest.raises(fi.ImageFormatError, match="end-of-stream"):
        fi.inspect(patch(path, size - 512 + 12, struct.pack("<I", 1)))
    path = footer_vmdk(tmp_path, 20480)
    with pytest.raises(fi.UnsafeImage, match="disagrees"):
        fi.inspect(patch(path, size - 1024 + 28, struct.pack("<Q", 7)))
    path = footer_vmdk(tmp_path, 20480)
    with pytest.raises(fi.ImageFormatError, match="another footer"):
        fi.inspect(patch(path, size - 1024 + 56, b"\xff" * 8))


# -- VHD: the size QEMU shows depends on who made the image -------------------

def rewrite_vhd_footer(path: Path, offset: int, **fields: object) -> Path:
    data = bytearray(path.read_bytes()[offset:offset + 512])
    layout = {"creator": (28, "4s"), "current_size": (48, ">Q"), "geometry": (56, ">HBB"),
              "disk_type": (60, ">I")}
    for name, value in fields.items():
        at, fmt = layout[name]
        values = value if isinstance(value, tuple) else (value,)
        struct.pack_into(fmt, data, at, *values)
    struct.pack_into(">I", data, 64, 0)
    struct.pack_into(">I", data, 64, ~sum(data) & 0xFFFFFFFF)
    return patch(path, offset, bytes(data))


@pytest.mark.parametrize("subformat", ["dynamic", "fixed"])
@pytest.mark.parametrize("creator", [b"qemu", b"vpc ", b"qem2", b"win ", b"d2v ", b"CTXS",
                                     b"tap\0", b"xxxx"])
def test_vhd_virtual_size_follows_qemu(qemu, tmp_path, creator, subformat):
    path = create(tmp_path / "disk.vhd", "vpc", 10 * MiB, [f"subformat={subformat}"])
    offsets = [0, path.stat().st_size - 512] if subformat == "dynamic" else [-512]
    for offset in offsets:
        offset %= path.stat().st_size
        rewrite_vhd_footer(path, offset, creator=creator, current_size=10 * MiB)
    expected = qemu_info(path, "vpc")["virtual-size"]
    assert fi.inspect(path).virtual_size == expected
    if creator in (b"qemu", b"vpc ", b"xxxx"):
        rewrite_vhd_footer(path, offsets[0] % path.stat().st_size, geometry=(65535, 16, 255))
        assert fi.inspect(path).virtual_size == qemu_info(path, "vpc")["virtual-size"]


def test_vhd_with_a_parent_is_unsafe(qemu, tmp_path):
    path = create(tmp_path / "disk.vhd", "vpc", MiB)
    with pytest.raises(fi.UnsafeImage, match="parent"):
        fi.inspect(rewrite_vhd_footer(path, 0, disk_type=4))
    with pytest.raises(fi.ImageFormatError, match="disk type 9"):
        fi.inspect(rewrite_vhd_footer(path, 0, disk_type=9))


# -- VHDX and VDI ---------------------------------------------------------------

def vhdx_metadata(path: Path) -> tuple[int, dict[str, tuple[int, int]]]:
    """The metadata region offset and its items (GUID -> entry offset, item offset)."""
    data = path.read_bytes()
    count, = struct.unpack_from("<I", data, 0x30008)
    for i in range(count):
        entry = 0x30010 + 32 * i
        if data[entry:entry + 16] == fi._VHDX_METADATA_REGION:
            region, = struct.unpack_from("<Q", data, entry + 16)
    items = {}
    for i in range(struct.unpack_from("<H", data, region + 10)[0]):
        entry = region + 32 + 32 * i
        items[data[entry:entry + 16].hex()] = (entry, region + struct.unpack_from(
            "<I", data, entry + 16)[0])
    return region, items


def test_vhdx_with_a_parent_is_unsafe(qemu, tmp_path):
    path = create(tmp_path / "disk.vhdx", "vhdx", MiB)
    _, items = vhdx_metadata(path)
    _, params = items[fi._VHDX_FILE_PARAMETERS.hex()]
    with pytest.raises(fi.UnsafeImage, match="parent"):
        fi.inspect(patch(path, params + 4, struct.pack("<I", 2)))


def test_vhdx_hostile_tables(qemu, tmp_path):
    path = create(tmp_path / "disk.vhdx", "vhdx", MiB)
    pristine = path.read_bytes()
    region, items = vhdx_metadata(path)
    vds_entry, _ = items[fi._VHDX_VIRTUAL_DISK_SIZE.hex()]
    cases = [
        (0x30008, struct.pack("<I", 5000), "limit 2047"),
        (0x30000, b"nope", "region table signature"),
        (region + 10, struct.pack("<H", 4000), "limit 2047"),
        (region, b"metaXXXX", "metadata table signature"),
        (vds_entry + 16, struct.pack("<I", 0xFFFFFFF0), "outside its region"),
        (vds_entry, bytes(16), "no virtual disk size"),
    ]
    for offset, data, reason in cases:
        path.write_bytes(pristine)
        with pytest.raises(fi.ImageFormatError, match=reason):
            fi.inspect(patch(path, offset, data))
    path.write_bytes(pristine)
    for i in range(struct.unpack_from("<I", pristine, 0x30008)[0]):
        entry = 0x30010 + 32 * i
        if pristine[entry:entry + 16] == fi._VHDX_METADATA_REGION:
            patch(path, entry + 16, struct.pack("<Q", 1 << 50))
    with pytest.raises(fi.ImageFormatError, match="outside the file"):
        fi.inspect(path)


def test_vdi_differencing_is_unsafe(qemu, tmp_path):
    path = create(tmp_path / "disk.vdi", "vdi", MiB)
    with pytest.raises(fi.UnsafeImage, match="type 4"):
        fi.inspect(patch(path, 0x4C, struct.pack("<I", 4)))


# -- qcow2 header fields, on a handmade header ----------------------------------

def qcow2_header(version: int = 3, cluster_bits: int = 16, size: int = MiB,
                 backing: int = 0, incompatible: int = 0, header_length: int = 104) -> bytes:
    head = struct.pack(">4sIQIIQ", b"QFI\xfb", version, backing, 0, cluster_bits, size)
    head = head.ljust(72, b"\0")
    if version >= 3:
        head += struct.pack(">QQQII", incompatible, 0, 0, 4, header_length)
    return head.ljust(1 << cluster_bits if cluster_bits < 20 else 4096, b"\0")


@pytest.mark.parametrize(("fields", "error", "reason"), [
    ({}, None, None),
    ({"version": 2}, None, None),
    ({"incompatible": 0b11011}, None, None),  # dirty, corrupt, compression, extended L2
    ({"version": 1}, fi.UnsafeImage, "version 1"),
    ({"version": 7}, fi.ImageFormatError, "version 7"),
    ({"cluster_bits": 40}, fi.ImageFormatError, "cluster size"),
    ({"cluster_bits": 8}, fi.ImageFormatError, "cluster size"),
    ({"backing": 4096}, fi.UnsafeImage, "backing file"),
    ({"incompatible": 0b100}, fi.UnsafeImage, "external data file"),
    ({"incompatible": 1 << 40}, fi.UnsafeImage, "unknown incompatible features"),
    ({"header_length": 72}, fi.ImageFormatError, "header length"),
    ({"size": (1 << 64) - 1}, fi.ImageFormatError, "Implausible"),
])
def test_qcow2_header_fields(tmp_path, fields, error, reason):
    path = write(tmp_path / "disk", qcow2_header(**fields))
    if error is None:
        assert fi.inspect(path) == fi.Inspection("qcow2", fields.get("size", MiB),
                                                 path.stat().st_size)
    else:
        with pytest.raises(error, match=reason):
            fi.inspect(path)


# -- ISO 9660 and partition tables ------------------------------------------------

def iso(blocks: int = 200, block_size: int = 2048, descriptors: tuple[int, ...] = (1,),
        head: bytes = b"") -> bytes:
    """A system area and a volume descriptor set (type numbers), then a terminator."""
    data = bytearray(0x8000 + 2048 * (len(descriptors) + 1))
    data[:len(head)] = head
    for index, kind in enumerate((*descriptors, 255)):
        at = 0x8000 + 2048 * index
        data[at:at + 7] = bytes([kind]) + b"CD001\x01"
        if kind == 1:
            struct.pack_into("<I", data, at + 80, blocks)
            struct.pack_into(">I", data, at + 84, blocks)
            struct.pack_into("<H", data, at + 128, block_size)
            struct.pack_into(">H", data, at + 130, block_size)
    return bytes(data)


def mbr(*entries: tuple[int, int, bytes, int], boot_code: bytes = b"\xeb\x63\x90") -> bytes:
    """A master boot record with (boot flag, type, start CHS, start LBA) entries."""
    data = bytearray(512)
    data[:len(boot_code)] = boot_code
    for index, (boot, kind, chs, lba) in enumerate(entries):
        struct.pack_into("<B3sB3sII", data, 446 + 16 * index, boot, chs, kind, b"\xff" * 3,
                         lba, 2048)
    data[510:512] = b"\x55\xaa"
    return bytes(data)


PROTECTIVE = (0, 0xEE, b"\x00\x02\x00", 1)
LINUX = (0x80, 0x83, b"\x20\x21\x00", 2048)


@pytest.mark.parametrize(("blocks", "block_size", "descriptors"), [
    (200, 2048, (1,)),
    (123457, 2048, (0, 1, 2)),  # El Torito boot record first, then primary, supplementary
    (4000, 512, (1,)),
])
def test_iso_virtual_size_from_the_primary_volume_descriptor(tmp_path, blocks, block_size,
                                                             descriptors):
    path = write(tmp_path / "cd.iso", iso(blocks, block_size, descriptors), blocks * block_size)
    found = fi.check(path, "iso")
    assert found == fi.Inspection("iso", blocks * block_size, blocks * block_size)


def test_hybrid_iso_with_an_mbr_is_an_iso(tmp_path):
    path = write(tmp_path / "cd.iso", iso(head=mbr(LINUX)), 200 * 2048)
    assert fi.inspect(path).format == "iso"
    with pytest.raises(fi.FormatMismatch):
        fi.check(path, "raw")


def test_iso_structure_errors(tmp_path):
    with pytest.raises(fi.ImageFormatError, match="primary volume descriptor"):
        fi.inspect(write(tmp_path / "a", iso(descriptors=(0, 2))))
    with pytest.raises(fi.ImageFormatError, match="logical block size 3"):
        fi.inspect(write(tmp_path / "b", iso(block_size=3)))
    with pytest.raises(fi.ImageFormatError, match="primary volume descriptor"):
        fi.inspect(write(tmp_path / "c", iso()[:0x8000 + 1000]))


def test_looking_like_two_formats_is_ambiguous(tmp_path, qemu):
    path = create(tmp_path / "disk", "qcow2", MiB)
    patch(path, 0x8000, iso()[0x8000:0x9000])
    assert qemu_info(path, "qcow2")["virtual-size"] == MiB  # QEMU happily opens it
    with pytest.raises(fi.UnsafeImage, match="qcow2 and iso"):
        fi.inspect(path)
    with pytest.raises(fi.UnsafeImage, match="vhd and iso"):
        fi.inspect(write(tmp_path / "b", iso(head=b"conectix")))


@pytest.mark.parametrize("sector", [
    mbr(PROTECTIVE),
    mbr(LINUX),
    mbr(LINUX, (0, 0x82, b"\x00\x00\x00", 4096)),
    # A FAT boot sector ends in 0x55AA too: two FATs, fixed-disk media byte.
    bytes(0x10) + b"\x02" + bytes(4) + b"\xf8" + bytes(488) + b"\x55\xaa",
])
def test_partitioned_disks_are_raw(tmp_path, sector):
    path = write(tmp_path / "disk", sector, 4 * MiB)
    assert fi.check(path, "raw") == fi.Inspection("raw", 4 * MiB, 4 * MiB)


@pytest.mark.parametrize(("sector", "reason"), [
    (mbr((0x42, 0x83, b"\x20\x21\x00", 2048)), "boot flag"),
    (mbr(), "no partitions"),
    (mbr((0, 0xEE, b"\x00\x02\x00", 2)), "LBA 1"),
    (mbr((0, 0xEE, b"\x01\x02\x00", 1)), "LBA 1"),
    (mbr(PROTECTIVE, LINUX), "other partitions"),
    (mbr(LINUX, PROTECTIVE), "other partitions"),
])
def test_invalid_partition_tables_are_refused(tmp_path, sector, reason):
    with pytest.raises(fi.UnsafeImage, match=reason):
        fi.inspect(write(tmp_path / "disk", sector, MiB))


# -- check(): the declared disk_format against the content ------------------------

def test_check_matches_declared_format(qemu, tmp_path):
    raw = create(tmp_path / "raw", "raw", MiB)
    qcow2 = create(tmp_path / "qcow2", "qcow2", MiB)
    assert fi.check(raw, "raw").format == "raw"
    with pytest.raises(fi.FormatMismatch) as mismatch:
        fi.check(raw, "qcow2")
    assert (mismatch.value.declared, mismatch.value.detected) == ("qcow2", "raw")
    assert "'qcow2'" in str(mismatch.value) and "'raw'" in str(mismatch.value)
    with pytest.raises(fi.FormatMismatch, match="'raw'.*'qcow2'"):
        fi.check(qcow2, "raw")
    for declared in ("vmdk", "vhd", "vhdx", "vdi", "iso"):
        with pytest.raises(fi.FormatMismatch):
            fi.check(qcow2, declared)


@pytest.mark.parametrize("declared", ["ami", "ari", "aki", "ploop"])
def test_uninspected_formats_accept_only_unrecognised_content(qemu, tmp_path, declared):
    raw = write(tmp_path / "kernel", b"\x7fELF" + bytes(4000))
    assert fi.check(raw, declared) == fi.Inspection("raw", 4004, 4004)
    qcow2 = create(tmp_path / "qcow2", "qcow2", MiB)
    with pytest.raises(fi.FormatMismatch, match="qcow2"):
        fi.check(qcow2, declared)


def test_check_refuses_unknown_disk_formats(tmp_path):
    path = write(tmp_path / "disk", bytes(512))
    for declared in ("qed", "gpt", "", "RAW"):
        with pytest.raises(fi.ImageFormatError, match="Unsupported disk_format") as error:
            fi.check(path, declared)
        assert not isinstance(error.value, fi.FormatMismatch)


# -- hostile input: truncated, mutated, huge, not a file ---------------------------

@pytest.fixture
def samples(qemu, tmp_path) -> dict[str, bytes]:
    made = {
        "qcow2": create(tmp_path / "q", "qcow2", 10 * MiB),
        "qcow2-v2": create(tmp_path / "q2", "qcow2", 10 * MiB, ["compat=0.10"]),
        "vmdk": create(tmp_path / "v", "vmdk", 10 * MiB, ["subformat=monolithicSparse"]),
        "vhd": create(tmp_path / "h", "vpc", 10 * MiB),
        "vhdx": create(tmp_path / "x", "vhdx", 10 * MiB),
        "vdi": create(tmp_path / "d", "vdi", 10 * MiB),
    }
    found = {name: path.read_bytes() for name, path in made.items()}
    found["iso"] = iso()
    return found


TRUNCATE_AT = [1, 4, 8, 31, 50, 71, 100, 400, 513, 0x300, 1024, 0x8002, 0x30010, 0x30040]


def test_truncated_headers_are_errors_not_raw(samples, tmp_path):
    path = tmp_path / "cut"
    for name, data in samples.items():
        for at in TRUNCATE_AT:
            if at >= len(data):
                continue
            path.write_bytes(data[:at])
            try:
                found = fi.inspect(path)
            except fi.ImageFormatError:
                continue
            # Only a cut before the signature may leave something that is not the format.
            assert found.format in ("raw", name.split("-")[0]), (name, at, found)
            if found.format == "raw":
                assert at <= 8 or (name == "vdi" and at <= 0x40) or name == "iso", (name, at)


def test_mutated_headers_only_raise_image_format_errors(samples, tmp_path):
    rng = random.Random(1449062)
    path = tmp_path / "mutant"
    regions = {"vhdx": [(0x30000, 0x30100)], "iso": [(0x8000, 0x8100)]}
    for name, data in samples.items():
        spans = [(0, min(len(data), 1024)), *regions.get(name, [])]
        for _ in range(150):
            mutant = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                start, end = rng.choice(spans)
                mutant[rng.randrange(start, end)] = rng.randrange(256)
            path.write_bytes(bytes(mutant))
            try:
                found = fi.inspect(path)
            except fi.ImageFormatError:
                continue
            assert 0 <= found.virtual_size <= fi.MAX_VIRTUAL_SIZE


def test_reads_are_few_and_bounded(tmp_path, monkeypatch):
    real_pread = os.pread
    reads: list[int] = []

    def counting_pread(fd: int, length: int, offset: int) -> bytes:
        reads.append(length)
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "pread", counting_pread)
    huge = write(tmp_path / "huge", b"", 64 << 30)  # sparse 64 GiB
    assert fi.inspect(huge).virtual_size == 64 << 30
    assert sum(reads) < 16 * 1024
    reads.clear()
    text = write(tmp_path / "text", b"plain text\n" * (50 * MiB // 11) + b"createType=x\n")
    assert fi.inspect(text).format == "raw"  # a descriptor is looked for in 1 MiB only
    assert max(reads) <= fi.MAX_READ and sum(reads) < 3 * MiB
    reads.clear()
    vmdk = bytearray(4096)
    struct.pack_into("<4sIIQQQQ", vmdk, 0, b"KDMV", 1, 0, 2048, 128, 1, 1 << 50)
    with pytest.raises(fi.UnsafeImage):
        fi.inspect(write(tmp_path / "vmdk", bytes(vmdk), 64 << 30))
    assert max(reads) <= fi.MAX_READ and sum(reads) < 3 * MiB


def test_text_that_mentions_createtype_is_a_vmdk_descriptor(tmp_path):
    path = write(tmp_path / "desc", b"# Disk DescriptorFile\nversion=1\n" + b"#\n" * 5000
                 + b'createType="monolithicFlat"\nRW 8 FLAT "/dev/sda" 0\n')
    with pytest.raises(fi.UnsafeImage, match="monolithicFlat"):
        fi.inspect(path)
    plain = write(tmp_path / "plain", b"just some text\n" * 100)
    assert fi.inspect(plain).format == "raw"


def test_not_a_regular_file(tmp_path):
    with pytest.raises(fi.ImageFormatError, match="regular file"):
        fi.inspect(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(fi.ImageFormatError, match="regular file"):
        fi.inspect(fifo)  # and does not block waiting for a writer
    with pytest.raises(FileNotFoundError):
        fi.inspect(tmp_path / "missing")
