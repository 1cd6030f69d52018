"""The microversions of the placement API, one line each, oldest first."""

from __future__ import annotations

from nimbus.common.api.microversion import APIVersions, Version

SERVICE_TYPE = "placement"

VERSIONS = [
    "1.0",   # the first: providers, inventories, allocations, usages
    "1.1",   # GET/PUT /resource_providers/{uuid}/aggregates
    "1.2",   # /resource_classes
    "1.3",   # member_of on GET /resource_providers
    "1.4",   # resources on GET /resource_providers
    "1.5",   # DELETE /resource_providers/{uuid}/inventories
    "1.6",   # /traits and /resource_providers/{uuid}/traits
    "1.7",   # PUT /resource_classes/{name} creates, without a body
    "1.8",   # project_id and user_id required in PUT /allocations
    "1.9",   # GET /usages
    "1.10",  # GET /allocation_candidates
    "1.11",  # 'allocations' link on resource providers
    "1.12",  # allocations as a dict keyed by provider in PUT and GET
    "1.13",  # POST /allocations, several consumers at once
    "1.14",  # parent and root providers; in_tree on GET /resource_providers
    "1.15",  # last-modified and cache-control headers
    "1.16",  # limit on GET /allocation_candidates
    "1.17",  # required traits on GET /allocation_candidates; traits in summaries
    "1.18",  # required traits on GET /resource_providers
    "1.19",  # generations in provider aggregates
    "1.20",  # POST /resource_providers answers 200 with the provider
    "1.21",  # member_of on GET /allocation_candidates
    "1.22",  # forbidden traits (!TRAIT)
    "1.23",  # error codes in error bodies
    "1.24",  # several member_of parameters on GET /resource_providers
    "1.25",  # granular request groups (resourcesN, requiredN, member_ofN)
    "1.26",  # reserved may equal total
    "1.27",  # every inventory of a provider in provider_summaries
    "1.28",  # consumer generations
    "1.29",  # nested providers in allocation candidates
    "1.30",  # POST /reshaper
    "1.31",  # in_tree and in_treeN on GET /allocation_candidates
    "1.32",  # forbidden aggregates (member_of=!...)
    "1.33",  # request group suffixes of [A-Za-z0-9_-]{1,64}
    "1.34",  # mappings in allocation requests
    "1.35",  # root_required on GET /allocation_candidates
    "1.36",  # same_subtree; resourceless request groups
    "1.37",  # re-parenting and un-parenting providers
    "1.38",  # consumer types
    "1.39",  # in: syntax in required
]

API_VERSIONS = APIVersions(
    service_type=SERVICE_TYPE,
    min=Version.parse(VERSIONS[0]),
    max=Version.parse(VERSIONS[-1]),
    invalid_message="Invalid microversion: invalid version string: {value}; {reason}",
    unsupported_message="Invalid microversion: Unacceptable version header: {version}",
    lenient=True,
    vary=("openstack-api-version",),  # as upstream spells it
)
