"""What an image file really is: its format, virtual size, and whether it is safe to hand to QEMU.

Every upload, stage and import is inspected before it is committed, the way
Glance does with oslo.utils' format inspector: the declared disk_format must
match the content, and images that would make qemu-img or QEMU open other
files (backing files, external data files, VMDK extents) are refused. Only
the few regions each format needs are read, with bounded sizes, so a hostile
file costs little; bad content only ever raises ImageFormatError.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SECTOR = 512
# Sizes are stored as signed 64-bit integers; anything larger is a lie.
MAX_VIRTUAL_SIZE = (1 << 63) - 1
# No single read is larger than this (a VMDK descriptor is at most 1 MiB).
MAX_READ = 1 << 20


class ImageFormatError(Exception):
    """The image cannot be accepted; str() is a one-line reason for the API."""


class FormatMismatch(ImageFormatError):
    """The content is not in the disk_format the image declares."""

    def __init__(self, declared: str, detected: str) -> None:
        self.declared = declared
        self.detected = detected
        super().__init__(
            f"Image disk_format is {declared!r} but its content is in {detected!r} format")


class UnsafeImage(ImageFormatError):
    """The content would make QEMU reach outside the file, or cannot be told apart."""


@dataclass(frozen=True, slots=True)
class Inspection:
    format: str  # raw, qcow2, vmdk, vhd, vhdx, vdi or iso (GPT/MBR disks are raw)
    virtual_size: int  # bytes the guest sees
    actual_size: int  # bytes of the file


class _File:
    """Bounded random-access reads of one open image."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.head = self.read(0, 4096)

    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes at `offset` (fewer at the end of the file)."""
        if offset < 0 or length < 0 or length > MAX_READ:
            raise ImageFormatError(f"Image refers to an impossible region ({offset}, {length})")
        length = max(0, min(length, self.size - offset))
        parts: list[bytes] = []
        while length > 0:
            chunk = os.pread(self.fd, length, offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(parts)

    def exact(self, offset: int, length: int, what: str) -> bytes:
        """Exactly `length` bytes at `offset`, or ImageFormatError naming `what`."""
        if offset < 0 or offset + length > self.size:
            raise ImageFormatError(f"The {what} lies outside the file (image truncated?)")
        data = self.read(offset, length)
        if len(data) != length:
            raise ImageFormatError(f"The {what} is truncated")
        return data


@dataclass(frozen=True, slots=True)
class _Format:
    name: str
    sniff: Callable[[_File], bool]  # cheap: does the content carry this format's signature?
    parse: Callable[[_File], int]  # full check; the virtual size, or ImageFormatError


# -- qcow2 --------------------------------------------------------------------
# Big-endian header: magic, version, backing file offset and size, cluster
# bits, virtual size ... (72 bytes in v2); v3 adds feature bitmaps and the
# header length (104 bytes).
_QCOW2_MAGIC = b"QFI\xfb"
_QCOW2_V2 = struct.Struct(">4sIQIIQ")  # the first 32 of 72 bytes
_QCOW2_V3 = struct.Struct(">QQQII")  # at offset 72
_QCOW2_DATA_FILE = 1 << 2  # incompatible feature: guest data lives in another file
_QCOW2_KNOWN_INCOMPATIBLE = 0b11111  # dirty, corrupt, data file, compression type, extended L2


def _parse_qcow2(f: _File) -> int:
    magic, version, backing_offset, _, cluster_bits, size = _QCOW2_V2.unpack_from(
        f.exact(0, 72, "qcow2 header"))
    if version == 1:
        raise UnsafeImage("qcow version 1 images are not supported")
    if version not in (2, 3):
        raise ImageFormatError(f"Unsupported qcow2 version {version}")
    if not 9 <= cluster_bits <= 21:
        raise ImageFormatError(f"Invalid qcow2 cluster size 2^{cluster_bits}")
    if backing_offset:
        raise UnsafeImage("qcow2 image has a backing file")
    if version == 3:
        incompatible, _, _, _, header_length = _QCOW2_V3.unpack(
            f.exact(72, _QCOW2_V3.size, "qcow2 v3 header"))
        if header_length < 104:
            raise ImageFormatError(f"Invalid qcow2 header length {header_length}")
        if incompatible & _QCOW2_DATA_FILE:
            raise UnsafeImage("qcow2 image has an external data file")
        if incompatible & ~_QCOW2_KNOWN_INCOMPATIBLE:
            raise UnsafeImage(f"qcow2 image uses unknown incompatible features "
                              f"({incompatible & ~_QCOW2_KNOWN_INCOMPATIBLE:#x})")
    return int(size)


def _parse_qed(f: _File) -> int:
    raise UnsafeImage("QED images are not supported")


# -- VHD (qemu: vpc) ----------------------------------------------------------
# A 512-byte big-endian footer: cookie 'conectix', creator application at 28,
# original size at 40, current size at 48, CHS geometry at 56, disk type at
# 60. Dynamic disks keep a copy at offset 0; fixed disks only at the end.
_VHD_COOKIE = b"conectix"
_VHD_FIXED, _VHD_DYNAMIC, _VHD_DIFFERENCING = 2, 3, 4
# Creators whose footer size is authoritative; QEMU trusts CHS for the rest.
_VHD_SIZE_CREATORS = {b"win ", b"qem2", b"d2v ", b"CTXS", b"tap\0"}
_VHD_MAX_GEOMETRY = 65535 * 16 * 255


def _vhd_size(f: _File, footer_offset: int) -> int:
    footer = f.exact(footer_offset, SECTOR, "VHD footer")
    creator = footer[28:32]
    data_offset, = struct.unpack_from(">Q", footer, 16)
    current_size, = struct.unpack_from(">Q", footer, 48)
    cylinders, heads, sectors, disk_type = struct.unpack_from(">HBBI", footer, 56)
    if disk_type == _VHD_DIFFERENCING:
        raise UnsafeImage("VHD differencing image has a parent disk")
    if disk_type == _VHD_DYNAMIC:
        if f.exact(data_offset, 8, "VHD dynamic disk header") != b"cxsparse":
            raise ImageFormatError("VHD dynamic disk header not found")
    elif disk_type != _VHD_FIXED:
        raise ImageFormatError(f"Unknown VHD disk type {disk_type}")
    geometry = cylinders * heads * sectors
    if creator in _VHD_SIZE_CREATORS or geometry == _VHD_MAX_GEOMETRY:
        return int(current_size)
    return int(geometry) * SECTOR


def _fixed_vhd(f: _File) -> bool:
    return f.size >= SECTOR and f.read(f.size - SECTOR, 8) == _VHD_COOKIE


# -- VHDX ---------------------------------------------------------------------
# Little-endian. 'vhdxfile' at 0; region table at 192 KiB ('regi', count,
# 32-byte entries: GUID, offset, length); the metadata region holds a table
# ('metadata', count, 32-byte entries: GUID, offset from the region, length)
# whose items include the virtual disk size and the file parameters.
_VHDX_REGIONS = 192 * 1024
_VHDX_MAX_ENTRIES = 2047
_VHDX_METADATA_REGION = uuid.UUID("8b7ca206-4790-4b9a-b8fe-575f050f886e").bytes_le
_VHDX_FILE_PARAMETERS = uuid.UUID("caa16737-fa36-4d43-b3b6-33f0aa44e76b").bytes_le
_VHDX_VIRTUAL_DISK_SIZE = uuid.UUID("2fa54224-cd1b-4876-b211-5dbed83bf4b8").bytes_le
_VHDX_HAS_PARENT = 1 << 1


def _vhdx_table(f: _File, offset: int, signature: bytes, what: str) -> list[bytes]:
    header = f.exact(offset, 16, what)
    if header[:len(signature)] != signature:
        raise ImageFormatError(f"VHDX {what} signature not found")
    if signature == b"regi":
        count, = struct.unpack_from("<I", header, 8)
        first = offset + 16
    else:
        count, = struct.unpack_from("<H", header, 10)
        first = offset + 32
    if count > _VHDX_MAX_ENTRIES:
        raise ImageFormatError(f"VHDX {what} has {count} entries (limit {_VHDX_MAX_ENTRIES})")
    table = f.exact(first, 32 * count, what)
    return [table[i:i + 32] for i in range(0, len(table), 32)]


def _parse_vhdx(f: _File) -> int:
    regions = _vhdx_table(f, _VHDX_REGIONS, b"regi", "region table")
    meta = next((e for e in regions if e[:16] == _VHDX_METADATA_REGION), None)
    if meta is None:
        raise ImageFormatError("VHDX image has no metadata region")
    meta_offset, meta_length = struct.unpack_from("<QI", meta, 16)
    items = {}
    for entry in _vhdx_table(f, meta_offset, b"metadata", "metadata table"):
        item_offset, item_length = struct.unpack_from("<II", entry, 16)
        if item_offset + item_length > meta_length:
            raise ImageFormatError("VHDX metadata item lies outside its region")
        items[entry[:16]] = (meta_offset + item_offset, item_length)
    if _VHDX_FILE_PARAMETERS in items:
        offset, length = items[_VHDX_FILE_PARAMETERS]
        _, flags = struct.unpack("<II", f.exact(offset, 8, "VHDX file parameters"))
        if flags & _VHDX_HAS_PARENT:
            raise UnsafeImage("VHDX differencing image has a parent disk")
    if _VHDX_VIRTUAL_DISK_SIZE not in items:
        raise ImageFormatError("VHDX image has no virtual disk size")
    offset, length = items[_VHDX_VIRTUAL_DISK_SIZE]
    size, = struct.unpack("<Q", f.exact(offset, 8, "VHDX virtual disk size"))
    return int(size)


# -- VMDK ---------------------------------------------------------------------
# Hosted sparse extent: little-endian header 'KDMV', version, flags, capacity
# (sectors), grain size, descriptor offset and size (sectors), GTEs per GT,
# redundant GD offset, GD offset. QEMU reads the embedded descriptor (and its
# parentFileNameHint) at sector 1; a zero capacity makes it follow the
# descriptor's extents instead of using the file itself; a GD offset of ~0
# means a footer, 1536 bytes from the end, whose header copy takes precedence.
_VMDK_SPARSE = struct.Struct("<4sIIQQQQIQQ")
_VMDK_GD_AT_END = 0xFFFFFFFFFFFFFFFF
_VMDK_MARKER = struct.Struct("<QII")
_VMDK_MARKER_EOS, _VMDK_MARKER_FOOTER = 0, 3
_VMDK_DESCRIPTOR_SECTOR = 1
_VMDK_DESCRIPTOR_MIN = 20 * SECTOR  # what QEMU scans for a parent
_VMDK_DESCRIPTOR_MAX = (1 << 20) - 1
_VMDK_ALLOWED_TYPES = {"monolithicsparse", "streamoptimized"}
_VMDK_ACCESS = {"rw", "rdonly", "noaccess"}
# access, size in sectors, type, "file name" (FLAT extents add an offset)
_VMDK_SPARSE_EXTENT = re.compile(r'(?i)^(rw|rdonly|noaccess)\s+\d+\s+sparse\s+"([^"/\\]+)"$')


def _vmdk_descriptor_text(f: _File, offset: int, length: int) -> str:
    data = f.read(offset, min(length, _VMDK_DESCRIPTOR_MAX))
    end = data.find(b"\0")
    if end >= 0:
        data = data[:end]
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise UnsafeImage("VMDK descriptor is not ASCII text") from None


def _vmdk_create_type(text: str) -> str | None:
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "createtype":
            return value.strip().strip('"')[:64]
    return None


def _looks_like_vmdk_descriptor(f: _File) -> bool:
    first = f.head[:SECTOR].split(b"\0", 1)[0]
    if not first or not all(32 <= b < 127 or b in b"\t\r\n" for b in first):
        return False
    text = f.read(0, _VMDK_DESCRIPTOR_MAX).split(b"\0", 1)[0]
    return b"createtype" in text.lower()


def _check_vmdk_descriptor(text: str) -> None:
    """Refuse anything but one extent that is the image itself, and parents."""
    extents: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or line.lower().startswith("ddb."):
            continue
        key, sep, _ = line.partition("=")
        words = line.split()
        if sep and key.strip() and " " not in key.strip():
            if key.strip().lower() == "parentfilenamehint":
                raise UnsafeImage("VMDK image has a parent disk")
        elif words[0].lower() in _VMDK_ACCESS:
            extents.append(line)
        else:
            raise UnsafeImage("VMDK descriptor has an unrecognised line")
    create_type = _vmdk_create_type(text)
    if create_type is None:
        raise UnsafeImage("VMDK image has no embedded descriptor with a createType")
    if create_type.lower() not in _VMDK_ALLOWED_TYPES:
        raise UnsafeImage(f"VMDK subformat {create_type!r} is not allowed "
                          "(only monolithicSparse and streamOptimized are)")
    if len(extents) != 1:
        raise UnsafeImage(f"VMDK image has {len(extents)} extents (exactly one is allowed)")
    if not _VMDK_SPARSE_EXTENT.match(extents[0]):
        raise UnsafeImage("VMDK extent does not describe the image itself")


def _vmdk_footer_capacity(f: _File, header: tuple[Any, ...]) -> int:
    if f.size < 3 * SECTOR:
        raise ImageFormatError("VMDK footer is truncated")
    tail = f.exact(f.size - 3 * SECTOR, 3 * SECTOR, "VMDK footer")
    _, size, kind = _VMDK_MARKER.unpack_from(tail, 0)
    if size != 0 or kind != _VMDK_MARKER_FOOTER:
        raise ImageFormatError("VMDK footer marker is invalid")
    if _VMDK_MARKER.unpack_from(tail, 2 * SECTOR) != (0, 0, _VMDK_MARKER_EOS):
        raise ImageFormatError("VMDK end-of-stream marker is invalid")
    footer = _VMDK_SPARSE.unpack_from(tail, SECTOR)
    if footer[0] != b"KDMV":
        raise ImageFormatError("VMDK footer signature not found")
    if footer[1] != header[1] or footer[5:7] != header[5:7]:
        raise UnsafeImage("VMDK footer disagrees with the header")
    if footer[9] == _VMDK_GD_AT_END:
        raise ImageFormatError("VMDK footer points at another footer")
    return int(footer[3])


def _parse_vmdk(f: _File) -> int:
    magic = f.head[:4]
    if magic == b"COWD":
        raise UnsafeImage("VMDK version 3 (COWD) images are not supported")
    if magic != b"KDMV":
        text = _vmdk_descriptor_text(f, 0, _VMDK_DESCRIPTOR_MAX)
        raise UnsafeImage(f"VMDK descriptor files (createType {_vmdk_create_type(text)!r}) "
                          "refer to external extents and are not allowed")
    header = _VMDK_SPARSE.unpack(f.exact(0, _VMDK_SPARSE.size, "VMDK header"))
    _, version, _, capacity, _, desc_sector, desc_sectors, _, _, gd_offset = header
    if version not in (1, 2, 3):
        raise ImageFormatError(f"Unsupported VMDK version {version}")
    if desc_sector != _VMDK_DESCRIPTOR_SECTOR or desc_sectors == 0:
        raise UnsafeImage("VMDK image has no embedded descriptor at sector 1")
    if capacity == 0:
        raise UnsafeImage("VMDK header has zero capacity (QEMU would follow the extents)")
    length = max(desc_sectors * SECTOR, _VMDK_DESCRIPTOR_MIN)
    _check_vmdk_descriptor(_vmdk_descriptor_text(f, desc_sector * SECTOR, length))
    if gd_offset == _VMDK_GD_AT_END:
        capacity = _vmdk_footer_capacity(f, header)
    return int(capacity) * SECTOR


# -- VDI ----------------------------------------------------------------------
# Little-endian header after 64 bytes of text: signature at 0x40, image type
# at 0x4c (1 dynamic, 2 static, 4 differencing), disk size at 0x170.
_VDI_SIGNATURE = 0xBEDA107F


def _parse_vdi(f: _File) -> int:
    header = f.exact(0, 0x178, "VDI header")
    image_type, = struct.unpack_from("<I", header, 0x4C)
    if image_type not in (1, 2):
        raise UnsafeImage(f"VDI image type {image_type} is not supported")
    size, = struct.unpack_from("<Q", header, 0x170)
    return int(size)


# -- ISO 9660 -----------------------------------------------------------------
# Volume descriptors are 2048-byte sectors from sector 16: type, 'CD001',
# version. The primary one (type 1) holds the volume space size (both-endian
# u32 at 80) and the logical block size (both-endian u16 at 128).
_ISO_FIRST = 16 * 2048
_ISO_SIGNATURE_AT = (0x8001, 0x8801, 0x9001)
_ISO_MAX_DESCRIPTORS = 64


def _sniff_iso(f: _File) -> bool:
    return any(f.read(at, 5) == b"CD001" for at in _ISO_SIGNATURE_AT)


def _parse_iso(f: _File) -> int:
    for index in range(_ISO_MAX_DESCRIPTORS):
        descriptor = f.read(_ISO_FIRST + index * 2048, 2048)
        if len(descriptor) < 2048:
            break
        if descriptor[1:6] != b"CD001":
            continue
        if descriptor[0] == 255:  # set terminator
            break
        if descriptor[0] == 1:
            blocks, = struct.unpack_from("<I", descriptor, 80)
            block_size, = struct.unpack_from("<H", descriptor, 128)
            if block_size not in (512, 1024, 2048):
                raise ImageFormatError(f"Invalid ISO 9660 logical block size {block_size}")
            return int(blocks) * int(block_size)
    raise ImageFormatError("ISO 9660 image has no primary volume descriptor")


# -- raw disks with a partition table -----------------------------------------
# MBR: 0x55AA at 510, four 16-byte entries from 446 (boot flag, start CHS,
# type, end CHS, start LBA, sectors). GPT puts one protective entry of type
# 0xEE in it, starting at CHS 0/2/0 (bytes 00 02 00), LBA 1. A FAT boot sector
# also ends in 0x55AA; two FATs on a fixed-disk medium give it away.
_MBR_ENTRY = struct.Struct("<B3sB3sII")


def _check_partition_table(f: _File) -> None:
    sector = f.head[:SECTOR]
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        return
    if sector[0x10] == 2 and sector[0x15] == 0xF8:
        return
    used = []
    for index in range(4):
        boot, start_chs, kind, _, start_lba, _ = _MBR_ENTRY.unpack_from(sector, 446 + 16 * index)
        if boot not in (0x00, 0x80):
            raise UnsafeImage(f"MBR partition {index} has an invalid boot flag")
        if kind == 0xEE and (start_chs != b"\x00\x02\x00" or start_lba != 1):
            raise UnsafeImage("GPT protective MBR entry does not start at LBA 1")
        if kind:
            used.append((index, kind))
    if not used:
        raise UnsafeImage("MBR defines no partitions")
    if any(kind == 0xEE for _, kind in used) and [i for i, _ in used] != [0]:
        raise UnsafeImage("GPT protective MBR defines other partitions")


_FORMATS = (
    _Format("qcow2", lambda f: f.head[:4] == _QCOW2_MAGIC, _parse_qcow2),
    _Format("qed", lambda f: f.head[:4] == b"QED\0", _parse_qed),
    _Format("vhd", lambda f: f.head[:8] == _VHD_COOKIE, lambda f: _vhd_size(f, 0)),
    _Format("vhdx", lambda f: f.head[:8] == b"vhdxfile", _parse_vhdx),
    _Format("vmdk", lambda f: f.head[:4] in (b"KDMV", b"COWD") or _looks_like_vmdk_descriptor(f),
            _parse_vmdk),
    _Format("vdi", lambda f: f.head[0x40:0x44] == struct.pack("<I", _VDI_SIGNATURE), _parse_vdi),
    _Format("iso", _sniff_iso, _parse_iso),
)


def _inspect(f: _File) -> Inspection:
    matches = [fmt for fmt in _FORMATS if fmt.sniff(f)]
    if len(matches) > 1:
        names = " and ".join(fmt.name for fmt in matches)
        raise UnsafeImage(f"Image content looks like more than one format ({names})")
    if matches:
        name, size = matches[0].name, matches[0].parse(f)
    elif _fixed_vhd(f):
        name, size = "vhd", _vhd_size(f, f.size - SECTOR)
    else:
        _check_partition_table(f)
        name, size = "raw", f.size
    if not 0 <= size <= MAX_VIRTUAL_SIZE:
        raise ImageFormatError(f"Implausible {name} virtual size {size}")
    return Inspection(name, size, f.size)


def inspect(path: str | os.PathLike[str]) -> Inspection:
    """Detect the format of the image at `path` and check it is safe.

    :raises UnsafeImage: the content matches two formats, or would make QEMU
        open other files (qcow2 backing or data file, VMDK extents other than
        the image itself or a parent, VHD/VHDX/VDI parents), or is a format
        that is never allowed (QED, qcow v1, VMDK COWD).
    :raises ImageFormatError: the content carries a format's signature but
        its structures are truncated or invalid, or `path` is not a file.
    :raises OSError: `path` cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
            raise ImageFormatError("Image data is not a regular file")
        return _inspect(_File(fd, os.lseek(fd, 0, os.SEEK_END)))
    finally:
        os.close(fd)


# Formats Glance inspects: the content must be exactly the declared format.
INSPECTED_FORMATS = frozenset({"raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso"})
# Formats Glance cannot inspect (kernel, ramdisk and machine images, ploop):
# accepted as long as the content is not some format Glance recognises.
UNINSPECTED_FORMATS = frozenset({"ami", "ari", "aki", "ploop"})


def check(path: str | os.PathLike[str], disk_format: str) -> Inspection:
    """inspect() the image, then require its content to match `disk_format`.

    :raises FormatMismatch: the content is in another format (names both).
    :raises UnsafeImage, ImageFormatError, OSError: as inspect().
    """
    if disk_format not in INSPECTED_FORMATS | UNINSPECTED_FORMATS:
        raise ImageFormatError(f"Unsupported disk_format {disk_format!r}")
    found = inspect(path)
    expected = "raw" if disk_format in UNINSPECTED_FORMATS else disk_format
    if found.format != expected:
        raise FormatMismatch(disk_format, found.format)
    return found
