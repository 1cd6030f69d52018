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
    cfg.IntOpt("max_fake_hosts", default=100, min=1,
               help="Most fake hosts `nimbus up --fake-hosts` starts."),
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
    cfg.IntOpt("discover_hosts_in_cells_interval", default=-1, min=-1,
               help="Seconds between the scheduler's searches for new compute hosts to "
               "map to their cells; -1: never (run `nimbus manage cell_v2 "
               "discover_hosts`). The all-in-one searches every few seconds."),
]

FILTER_SCHEDULER_OPTS: list[cfg.Opt] = [
    cfg.ListOpt("enabled_filters",
                default=["ComputeFilter", "AvailabilityZoneFilter",
                         "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter",
                         "SameHostFilter", "DifferentHostFilter"],
                help="Filters run on the candidates placement returns, in this order, by "
                "entry point name in nimbus.scheduler.filters."),
    cfg.ListOpt("weight_classes",
                default=["RAMWeigher", "CPUWeigher", "DiskWeigher", "BuildFailureWeigher"],
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
            *fake.list_opts()]
