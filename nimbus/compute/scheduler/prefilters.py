"""Nova's request filters: what a request spec adds to the placement query
before any host is looked at, so that placement returns only hosts that can
do: aggregates of the tenant ([scheduler] limit_tenants_to_placement_aggregate)
and of the availability zone, no disabled compute (COMPUTE_STATUS_DISABLED),
support for the image's disk format ([scheduler]
query_placement_for_image_type_support).
"""

from __future__ import annotations

import logging

import os_traits
from oslo_config import cfg

from nimbus.common.db import Database
from nimbus.compute import exceptions as exc
from nimbus.compute.db import aggregates
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.scheduler.request import Destination

LOG = logging.getLogger(__name__)

TENANT_KEY = "filter_tenant_id"
DISABLED_TRAIT = "COMPUTE_STATUS_DISABLED"


def require_tenant_aggregate(conf: cfg.ConfigOpts, api_db: Database, spec: RequestSpec,
                             dest: Destination) -> None:
    """:raises RequestFilterFailed: the tenant has no aggregate and must have one."""
    options = conf.scheduler
    if not options.limit_tenants_to_placement_aggregate:
        return
    with api_db.reader() as conn:
        found = aggregates.tenant_aggregates(conn, spec.project_id, TENANT_KEY)
    if found:
        dest.member_of.append(found)
        LOG.debug("Tenant %s confined to aggregates %s", spec.project_id, found)
    elif options.placement_aggregate_required_for_tenants:
        LOG.warning("Tenant %s has no available aggregates", spec.project_id)
        raise exc.RequestFilterFailed(reason="No hosts available for tenant")


def map_az_to_placement_aggregate(conf: cfg.ConfigOpts, api_db: Database, spec: RequestSpec,
                                  dest: Destination) -> None:
    if not spec.availability_zone or not conf.scheduler.query_placement_for_availability_zone:
        return
    with api_db.reader() as conn:
        found = aggregates.availability_zone_aggregates(conn, spec.availability_zone)
    if found:
        dest.member_of.append(found)


def require_image_type_support(conf: cfg.ConfigOpts, api_db: Database, spec: RequestSpec,
                               dest: Destination) -> None:
    if not conf.scheduler.query_placement_for_image_type_support or spec.is_bfv:
        return
    disk_format = spec.image.disk_format
    if not disk_format:
        return
    trait = f"COMPUTE_IMAGE_TYPE_{disk_format.upper()}"
    if not hasattr(os_traits, trait):
        LOG.error("Computed trait name %r is not a standard trait", trait)
        return
    dest.root_required.add(trait)


def compute_status_filter(conf: cfg.ConfigOpts, api_db: Database, spec: RequestSpec,
                          dest: Destination) -> None:
    """Never the node of a disabled compute service (its agent sets the trait)."""
    dest.root_forbidden.add(DISABLED_TRAIT)


ALL = (require_tenant_aggregate, map_az_to_placement_aggregate, require_image_type_support,
       compute_status_filter)


def process(conf: cfg.ConfigOpts, api_db: Database, spec: RequestSpec) -> Destination:
    """The destination every request filter agrees on.

    :raises RequestFilterFailed:
    """
    dest = Destination()
    for request_filter in ALL:
        request_filter(conf, api_db, spec, dest)
    return dest
