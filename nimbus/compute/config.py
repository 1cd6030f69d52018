"""Options of the compute services; where Nova has an option for the same
thing, its group, name and default."""

from __future__ import annotations

from oslo_config import cfg

COMPUTE_OPTS: list[cfg.Opt] = [
    cfg.IntOpt(
        "max_limit", default=1000, min=0,
        help="Most items a collection returns in one response, whatever limit a client "
        "asks for (Nova's [api] max_limit)."),
    cfg.StrOpt(
        "compute_driver", default="fake",
        help="The virt driver compute agents drive, by entry point name in "
        "nimbus.virt.drivers (Nova's [DEFAULT] compute_driver)."),
    cfg.StrOpt(
        "default_availability_zone", default="nova",
        help="Availability zone of hosts in no aggregate that names one (Nova's "
        "[DEFAULT] default_availability_zone)."),
    cfg.StrOpt(
        "internal_service_availability_zone", default="internal",
        help="Availability zone shown for services other than compute agents."),
    cfg.IntOpt(
        "service_down_time", default=60, min=1,
        help="Seconds without a heartbeat after which a service counts as down."),
    cfg.IntOpt(
        "report_interval", default=10, min=1,
        help="Seconds between a service's heartbeats."),
    cfg.IntOpt(
        "update_resources_interval", default=60, min=1,
        help="Seconds between an agent's reports of its resources to its cell and to "
        "placement (Nova's update_resources_interval)."),
    cfg.FloatOpt("cpu_allocation_ratio", default=4.0, min=0.0,
                 help="VCPU overcommit reported to placement (Nova's "
                 "initial_cpu_allocation_ratio)."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.0, min=0.0,
                 help="Memory overcommit reported to placement (Nova's "
                 "initial_ram_allocation_ratio)."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0.0,
                 help="Disk overcommit reported to placement."),
    cfg.IntOpt("reserved_host_cpus", default=0, min=0,
               help="Host VCPUs placement never gives to instances."),
    cfg.IntOpt("reserved_host_memory_mb", default=512, min=0,
               help="Host memory (MiB) placement never gives to instances."),
    cfg.IntOpt("reserved_host_disk_mb", default=0, min=0,
               help="Host disk (MiB) placement never gives to instances."),
    cfg.BoolOpt("enable_instance_password", default=True,
                help="Return a generated admin password when a server is created or "
                "rebuilt (Nova's [api] enable_instance_password)."),
    cfg.IntOpt("reclaim_instance_interval", default=0, min=0,
               help="Seconds a deleted server stays SOFT_DELETED (restorable) before it "
               "is really deleted; 0 deletes at once."),
    cfg.IntOpt("shelved_offload_time", default=0, min=-1,
               help="Seconds a shelved server keeps its place on its host before it is "
               "offloaded (its guest removed, its resources given back); 0 offloads at "
               "once, -1 never (Nova's [DEFAULT] shelved_offload_time)."),
    cfg.IntOpt("shelved_poll_interval", default=3600, min=1,
               help="Seconds between an agent's searches for shelved servers due to be "
               "offloaded (Nova's [DEFAULT] shelved_poll_interval)."),
    cfg.IntOpt("max_fake_hosts", default=100, min=1,
               help="Most fake hosts `nimbus up --fake-hosts` starts."),
    cfg.IntOpt("sync_power_state_interval", default=600, min=-1,
               help="Seconds between an agent's comparisons of the power states its "
               "instances have in the database with what its driver reports (Nova's "
               "_sync_power_states); 0 or -1: never."),
    cfg.StrOpt("running_deleted_instance_action", default="reap",
               choices=[("reap", "power off and destroy them"),
                        ("log", "log a warning about them"),
                        ("shutdown", "power them off"),
                        ("noop", "do nothing")],
               help="What an agent does with instances its driver runs that the database "
               "says are deleted."),
    cfg.IntOpt("running_deleted_instance_poll_interval", default=1800, min=0,
               help="Seconds between an agent's searches for instances its driver runs "
               "that the database says are deleted; 0: never."),
    cfg.IntOpt("running_deleted_instance_timeout", default=0, min=0,
               help="Seconds an instance must have been deleted before the search above "
               "acts on it."),
    cfg.IntOpt("consecutive_build_service_disable_threshold", default=10, min=0,
               help="Any value but 0 makes agents report their build failures (the "
               "failed_builds statistic of their compute nodes), which "
               "BuildFailureWeigher reads; 0 reports none (Nova's option of the same "
               "name)."),
]

# Moves: resize, cold and live migration, evacuation (Nova's [DEFAULT] and
# [compute] options of the same names).
MOVE_OPTS: list[cfg.Opt] = [
    cfg.BoolOpt("allow_resize_to_same_host", default=False,
                help="Let a resize land on the host the server runs on (Nova's [DEFAULT] "
                "allow_resize_to_same_host); a cold migration always leaves its host."),
    cfg.IntOpt("resize_confirm_window", default=0, min=0,
               help="Seconds after which a resize or cold migration waiting in "
               "VERIFY_RESIZE is confirmed automatically; 0 never confirms."),
    cfg.IntOpt("max_concurrent_live_migrations", default=1, min=0,
               help="Live migrations an agent runs at once; others wait, queued. 0: no "
               "limit."),
]

SCHEDULER_OPTS: list[cfg.Opt] = [
    cfg.IntOpt("max_attempts", default=3, min=1,
               help="Hosts tried for one build: the chosen one and its alternates."),
    cfg.IntOpt("max_placement_results", default=1000, min=1,
               help="Most allocation candidates asked of placement per request."),
    cfg.BoolOpt("query_placement_for_availability_zone", default=True,
                help="Ask placement only for hosts in aggregates of the requested "
                "availability zone."),
    cfg.BoolOpt("limit_tenants_to_placement_aggregate", default=False,
                help="Ask placement only for hosts in the aggregates whose metadata has a "
                "key starting with filter_tenant_id set to the requesting project, when "
                "there are such aggregates (they must be mirrored in placement)."),
    cfg.BoolOpt("placement_aggregate_required_for_tenants", default=False,
                help="With limit_tenants_to_placement_aggregate: a project no aggregate "
                "names gets no host at all, instead of any host."),
    cfg.BoolOpt("query_placement_for_image_type_support", default=False,
                help="Ask placement only for hosts whose driver supports the image's "
                "disk_format (the COMPUTE_IMAGE_TYPE_* traits)."),
    cfg.IntOpt("discover_hosts_in_cells_interval", default=-1, min=-1,
               help="Seconds between the scheduler's searches for new compute hosts to "
               "map to their cells; -1: never (run `nimbus manage cell_v2 "
               "discover_hosts`). The all-in-one searches every few seconds."),
]

FILTER_SCHEDULER_OPTS: list[cfg.Opt] = [
    cfg.ListOpt("enabled_filters",
                default=["ComputeFilter", "AvailabilityZoneFilter", "ImagePropertiesFilter",
                         "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter",
                         "SameHostFilter", "DifferentHostFilter"],
                help="Filters run on the candidates placement returns, in this order, by "
                "entry point name in nimbus.scheduler.filters."),
    cfg.ListOpt("weight_classes",
                default=["RAMWeigher", "CPUWeigher", "DiskWeigher", "IoOpsWeigher",
                         "NumInstancesWeigher", "BuildFailureWeigher",
                         "ServerGroupSoftAffinityWeigher",
                         "ServerGroupSoftAntiAffinityWeigher"],
                help="Weighers that rank the hosts left, by entry point name in "
                "nimbus.scheduler.weighers."),
    cfg.IntOpt("host_subset_size", default=1, min=1,
               help="Pick at random among this many best hosts (spreads concurrent "
               "requests)."),
    cfg.FloatOpt("ram_weight_multiplier", default=1.0,
                 help="Positive spreads by free RAM, negative stacks."),
    cfg.FloatOpt("cpu_weight_multiplier", default=1.0,
                 help="Positive spreads by free VCPUs, negative stacks."),
    cfg.FloatOpt("disk_weight_multiplier", default=1.0,
                 help="Positive spreads by free disk, negative stacks."),
    cfg.FloatOpt("build_failure_weight_multiplier", default=1000000.0,
                 help="How strongly recent build failures push a host back."),
    cfg.FloatOpt("io_ops_weight_multiplier", default=-1.0,
                 help="Negative prefers hosts with fewer I/O-heavy operations under way "
                 "(builds, resizes, snapshots...), positive more."),
    cfg.FloatOpt("num_instances_weight_multiplier", default=0.0,
                 help="Positive prefers hosts with more instances, negative fewer; 0 "
                 "ignores the count."),
    cfg.FloatOpt("soft_affinity_weight_multiplier", default=1.0, min=0.0,
                 help="How strongly a soft-affinity group pulls its members together."),
    cfg.FloatOpt("soft_anti_affinity_weight_multiplier", default=1.0, min=0.0,
                 help="How strongly a soft-anti-affinity group spreads its members."),
    cfg.IntOpt("max_io_ops_per_host", default=8, min=0,
               help="IoOpsFilter: most I/O-heavy operations under way on a host that "
               "still takes a new instance (AggregateIoOpsFilter: per aggregate, "
               "max_io_ops_per_host metadata)."),
    cfg.IntOpt("max_instances_per_host", default=50, min=1,
               help="NumInstancesFilter: most instances on a host that still takes a new "
               "one (AggregateNumInstancesFilter: per aggregate, max_instances_per_host "
               "metadata)."),
    cfg.StrOpt("image_properties_default_architecture",
               help="ImagePropertiesFilter: the architecture assumed for images that name "
               "none (none: any)."),
    cfg.ListOpt("isolated_images", default=[],
                help="IsolatedHostsFilter: images (ids) that run only on isolated_hosts."),
    cfg.ListOpt("isolated_hosts", default=[],
                help="IsolatedHostsFilter: hosts for isolated_images."),
    cfg.BoolOpt("restrict_isolated_hosts_to_isolated_images", default=True,
                help="IsolatedHostsFilter: isolated hosts run isolated images only."),
    cfg.StrOpt("aggregate_image_properties_isolation_namespace",
               help="AggregateImagePropertiesIsolation: only aggregate metadata keys in "
               "this namespace are compared with image properties (none: every key)."),
    cfg.StrOpt("aggregate_image_properties_isolation_separator", default=".",
               help="AggregateImagePropertiesIsolation: what separates the namespace from "
               "the rest of a key."),
]

WORKAROUNDS_OPTS: list[cfg.Opt] = [
    cfg.BoolOpt("disable_group_policy_check_upcall", default=False,
                help="Skip the agents' last check of server group policies before they "
                "build (it asks the conductor, which then needs the API database)."),
]

QUOTA_OPTS: list[cfg.Opt] = [
    cfg.IntOpt("instances", default=10, min=-1, help="Servers per project; -1: no limit."),
    cfg.IntOpt("cores", default=20, min=-1, help="VCPUs per project; -1: no limit."),
    cfg.IntOpt("ram", default=51200, min=-1, help="MiB of RAM per project; -1: no limit."),
    cfg.IntOpt("metadata_items", default=128, min=-1, help="Metadata items per server."),
    cfg.IntOpt("injected_files", default=5, min=-1, help="Personality files per server."),
    cfg.IntOpt("injected_file_content_bytes", default=10240, min=-1,
               help="Bytes per personality file."),
    cfg.IntOpt("injected_file_path_length", default=255, min=-1,
               help="Characters per personality file path."),
    cfg.IntOpt("key_pairs", default=100, min=-1, help="Key pairs per user; -1: no limit."),
    cfg.IntOpt("server_groups", default=10, min=-1, help="Server groups per project."),
    cfg.IntOpt("server_group_members", default=10, min=-1, help="Servers per server group."),
    cfg.BoolOpt("recheck_quota", default=True,
                help="Count again after the conductor has created the instances, so that "
                "requests racing past the first check are refused."),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    from nimbus.compute.virt import fake

    return [("compute", COMPUTE_OPTS), ("compute", MOVE_OPTS), ("scheduler", SCHEDULER_OPTS),
            ("filter_scheduler", FILTER_SCHEDULER_OPTS), ("quota", QUOTA_OPTS),
            ("workarounds", WORKAROUNDS_OPTS),
            *fake.list_opts()]
