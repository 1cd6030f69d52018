"""The microversions of the Compute API, one line each, oldest first.

What each added, in our words; upstream's API reference has the details.
"""

from __future__ import annotations

from nimbus.common.api.microversion import APIVersions, Version

SERVICE_TYPE = "compute"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"

VERSIONS = [
    "2.1",    # the v2.1 API: v2.0's resources with strict input validation
    "2.2",    # keypair type (ssh, x509); keypair create answers 201, delete 204
    "2.3",    # more OS-EXT-SRV-ATTR fields in server details
    "2.4",    # reserved in os-fixed-ips
    "2.5",    # ip6 server filter for non-admins
    "2.6",    # POST /servers/{id}/remote-consoles
    "2.7",    # addTenantAccess to a public flavor is 409
    "2.8",    # mks remote consoles
    "2.9",    # locked in server details
    "2.10",   # admins manage other users' keypairs (user_id)
    "2.11",   # forced_down on os-services
    "2.12",   # net_id in os-virtual-interfaces
    "2.13",   # project_id and user_id in server groups
    "2.14",   # evacuate without onSharedStorage, adminPass not returned
    "2.15",   # soft-affinity and soft-anti-affinity server group policies
    "2.16",   # host_status in server details
    "2.17",   # trigger_crash_dump server action
    "2.18",   # the project id in URLs is optional
    "2.19",   # server description
    "2.20",   # volume attach/detach on shelved servers
    "2.21",   # instance actions of deleted servers
    "2.22",   # force_complete of a live migration
    "2.23",   # GET /servers/{id}/migrations and migration_type
    "2.24",   # DELETE of a running live migration
    "2.25",   # block_migration 'auto'; no disk_over_commit
    "2.26",   # server tags
    "2.27",   # the OpenStack-API-Version header
    "2.28",   # hypervisor cpu_info as an object
    "2.29",   # force on evacuate
    "2.30",   # force on live-migrate
    "2.31",   # os-console-auth-tokens for every console type
    "2.32",   # device tags on networks and block devices at boot
    "2.33",   # hypervisor paging
    "2.34",   # live-migration checks run asynchronously
    "2.35",   # keypair paging (limit, marker)
    "2.36",   # proxy APIs (images, networks, volumes, ...) removed
    "2.37",   # networks 'auto' and 'none' at boot
    "2.38",   # invalid status filter on servers is 400
    "2.39",   # image-metadata proxy removed; no maxImageMeta limit
    "2.40",   # simple tenant usage paging
    "2.41",   # aggregate uuid
    "2.42",   # device tags at boot again (fixed)
    "2.43",   # os-hosts removed
    "2.44",   # fixed/floating ip actions and os-virtual-interfaces removed
    "2.45",   # createImage and createBackup answer image_id, no Location
    "2.46",   # request id of the whole request returned
    "2.47",   # flavor embedded in server details
    "2.48",   # standard server diagnostics
    "2.49",   # tagged attach of interfaces and volumes
    "2.50",   # server_groups and server_group_members quota class fields
    "2.51",   # volume-extended external event; events in instance actions
    "2.52",   # tags at server create
    "2.53",   # services and hypervisors identified by uuid
    "2.54",   # key_name on rebuild
    "2.55",   # flavor description
    "2.56",   # host on cold migrate
    "2.57",   # personality removed; user_data on rebuild
    "2.58",   # instance actions paging and changes-since
    "2.59",   # os-migrations paging and changes-since
    "2.60",   # multiattach volumes
    "2.61",   # extra_specs in flavor bodies
    "2.62",   # host and hostId in instance action events
    "2.63",   # trusted image certificates
    "2.64",   # server group policy and rules
    "2.65",   # abort of queued and preparing live migrations
    "2.66",   # changes-before filter
    "2.67",   # volume_type in block_device_mapping_v2
    "2.68",   # forced live migration and evacuate removed
    "2.69",   # minimal server bodies when a cell is down
    "2.70",   # device tags in interface and volume attachment bodies
    "2.71",   # server_groups in server show, update and rebuild
    "2.72",   # ports with resource requests at boot
    "2.73",   # lock reason; locked filter
    "2.74",   # host and hypervisor_hostname at boot
    "2.75",   # API cleanups: unknown query parameters are 400, swap 0 not ""
    "2.76",   # power-update external event
    "2.77",   # availability_zone on unshelve
    "2.78",   # GET /servers/{id}/topology
    "2.79",   # delete_on_termination on volume attach
    "2.80",   # user_id and project_id filters on server migrations
    "2.81",   # image cache management by aggregate
    "2.82",   # accelerator-request-bound external event
    "2.83",   # more server list filters for non-admins
    "2.84",   # details in instance action events
    "2.85",   # PUT of a volume attachment's delete_on_termination
    "2.86",   # validation of known flavor extra specs
    "2.87",   # rescue of volume-backed servers
    "2.88",   # hypervisor statistics fields and APIs removed
    "2.89",   # attachment_id and bdm_uuid in volume attachments
    "2.90",   # hostname at create, update and rebuild
    "2.91",   # unshelve to a host; pinning and unpinning the AZ
    "2.92",   # keypair generation removed; @ and . allowed in keypair names
    "2.93",   # rebuild of volume-backed servers
    "2.94",   # FQDN server hostnames
    "2.95",   # evacuated servers stopped at the destination
    "2.96",   # pinned_availability_zone in server bodies
    "2.97",   # server shares
    "2.98",   # image properties embedded in server bodies
    "2.99",   # spice-direct consoles
    "2.100",  # scheduler_hints in server bodies
    "2.101",  # volume attach answers 202 without a body
    "2.102",  # flavor name filter; rxtx_factor and disabled removed; strict queries
    "2.103",  # /os-volumes_boot removed
    "2.104",  # pinned_availability_zone updatable with PUT /servers/{id}
]

API_VERSIONS = APIVersions(
    service_type=SERVICE_TYPE,
    min=Version.parse(VERSIONS[0]),
    max=Version.parse(VERSIONS[-1]),
    legacy_header=LEGACY_HEADER,
    invalid_message="API Version String {value} is of invalid format. Must be of format "
    "MajorNum.MinorNum.",
)
