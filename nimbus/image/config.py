"""Options of the image service, named as Glance names them where it has them."""

from __future__ import annotations

from oslo_config import cfg

DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
IMPORT_METHODS = ["glance-direct", "web-download", "copy-image"]

IMAGE_OPTS = [
    cfg.StrOpt(
        "auth_strategy",
        choices=[
            ("keystone", "Validate tokens as [api] auth_strategy says."),
            ("noauth2", "No authentication, for tests and standalone use (as "
             "placement's noauth2): the token 'user:project' names the caller, "
             "'admin' is an admin, X-Project-Id and X-Roles are believed."),
        ],
        help="How the image service authenticates requests. Unset: as [api] "
        "auth_strategy.",
    ),
    cfg.ListOpt("disk_formats", default=DISK_FORMATS,
                help="Disk formats images may declare."),
    cfg.ListOpt("container_formats", default=CONTAINER_FORMATS,
                help="Container formats images may declare."),
    cfg.ListOpt("enabled_import_methods", default=IMPORT_METHODS,
                help="Import methods POST /v2/images/{id}/import accepts."),
    cfg.BoolOpt("require_image_format_match", default=True,
                help="Refuse image data whose real format (found by inspecting it) "
                "differs from the image's disk_format, and unsafe images (qcow2 with a "
                "backing or data file, vmdk with outside extents). Off: only unsafe "
                "images are refused."),
    cfg.StrOpt("hashing_algorithm", default="sha512",
               choices=["sha256", "sha384", "sha512"],
               help="Algorithm of os_hash_value, the multihash of image data."),
    cfg.IntOpt("image_size_cap", default=1099511627776, min=1,
               help="Largest image, in bytes."),
    cfg.IntOpt("image_member_quota", default=128, min=-1,
               help="Most members of one image. -1: no limit."),
    cfg.IntOpt("image_property_quota", default=128, min=-1,
               help="Most custom properties of one image. -1: no limit."),
    cfg.IntOpt("image_tag_quota", default=128, min=-1,
               help="Most tags of one image. -1: no limit."),
    cfg.IntOpt("image_count_total", default=-1, min=-1,
               help="Most images a project may own (deleted ones do not count). "
               "-1: no limit."),
    cfg.IntOpt("image_size_total", default=-1, min=-1,
               help="Most MiB of image data a project may store in total, every store "
               "counted. -1: no limit."),
    cfg.IntOpt("image_stage_total", default=-1, min=-1,
               help="Most MiB of staged (not yet imported) data a project may hold. "
               "-1: no limit."),
    cfg.IntOpt("image_count_uploading", default=-1, min=-1,
               help="Most images a project may be uploading or importing at once. "
               "-1: no limit."),
    cfg.BoolOpt("show_image_direct_url", default=False,
                help="Show the location of an image's data (direct_url) to admins."),
    cfg.IntOpt("task_time_to_live", default=48, min=1,
               help="Hours a finished task is kept."),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    from nimbus.image.store import options as store_options

    others = [(name, opts) for name, opts in store_options.list_opts() if name != "image"]
    return [("image", IMAGE_OPTS + store_options.STORE_OPTS), *others]
