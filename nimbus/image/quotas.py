"""Quotas of the image service, enforced as Glance enforces them: 413.

Per-image limits (members, properties, tags) are Glance's legacy options.
Per-project limits (image_count_total, image_size_total, image_stage_total,
image_count_uploading) are what Glance takes from Keystone's unified limits;
Nimbus reads them from [image]. Each check counts in the caller's
transaction, so a check and the write it guards see the same rows.
"""

from __future__ import annotations

from collections.abc import Callable

from oslo_config import cfg
from sqlalchemy.engine import Connection

from nimbus.common.api import errors
from nimbus.image.db import images as db

MiB = 1024 * 1024


def _over_limit(resource: str, limit: int, usage: int, delta: int) -> None:
    """413 when usage + delta passes limit (-1: no limit), worded as Glance
    words an oslo.limit refusal."""
    if limit < 0 or usage + delta <= limit:
        return
    raise errors.PayloadTooLarge(
        "The request returned a 413 Request Entity Too Large. This generally means "
        "that rate limiting or a quota threshold was breached.\n\nThe response body:\n"
        f"Resource {resource} is over limit of {limit} due to current usage "
        f"{usage} and delta {delta}")


def _per_project(conf: cfg.ConfigOpts, conn: Connection, owner: str | None, resource: str,
                 usage: Callable[[Connection, str], int], delta: int) -> None:
    limit = int(getattr(conf.image, resource))
    if limit < 0 or owner is None:
        return
    _over_limit(resource, limit, usage(conn, owner), delta)


def check_image_count(conf: cfg.ConfigOpts, conn: Connection, owner: str | None) -> None:
    """Before creating an image for `owner`."""
    _per_project(conf, conn, owner, "image_count_total", db.count_owned, 1)


def check_size_total(conf: cfg.ConfigOpts, conn: Connection, owner: str | None,
                     delta_bytes: int = 0) -> None:
    """Before storing data (upload, import, copy to another store)."""
    _per_project(conf, conn, owner, "image_size_total",
                 lambda c, o: db.storage_usage(c, o) // MiB, delta_bytes // MiB)


def check_stage_total(conf: cfg.ConfigOpts, conn: Connection, owner: str | None,
                      delta_bytes: int = 0) -> None:
    """Before staging data (PUT /v2/images/{id}/stage)."""
    _per_project(conf, conn, owner, "image_stage_total",
                 lambda c, o: db.staging_usage(c, o) // MiB, delta_bytes // MiB)


def check_uploading(conf: cfg.ConfigOpts, conn: Connection, owner: str | None) -> None:
    """Before an upload, stage or import starts (one more in flight)."""
    _per_project(conf, conn, owner, "image_count_uploading", db.uploading_count, 1)


def _per_image(limit: int, attempted: int, what: str) -> None:
    if 0 <= limit < attempted:
        raise errors.PayloadTooLarge(
            f"The limit has been exceeded on the number of allowed image {what}. "
            f"Attempted: {attempted}, Maximum: {limit}")


def check_properties(conf: cfg.ConfigOpts, attempted: int) -> None:
    """`attempted`: the number of custom properties the image would have."""
    _per_image(conf.image.image_property_quota, attempted, "properties")


def check_tags(conf: cfg.ConfigOpts, attempted: int) -> None:
    _per_image(conf.image.image_tag_quota, attempted, "tags")


def check_members(conf: cfg.ConfigOpts, image_id: str, attempted: int) -> None:
    limit = conf.image.image_member_quota
    if 0 <= limit < attempted:
        raise errors.PayloadTooLarge(
            f"Image member limit exceeded for image {image_id}: The limit has been "
            "exceeded on the number of allowed image members for this image. "
            f"Attempted: {attempted}, Maximum: {limit}:")
