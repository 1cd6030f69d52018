"""A request's server group, read afresh when it is scheduled: its policy and
rules from the API database, its members' hosts from the cells they live in.

The API does not know where members run (some are being scheduled while it
answers), so affinity and anti-affinity hold across separate requests only
if the scheduler looks at the members' hosts itself, as Nova's
setup_instance_group does.
"""

from __future__ import annotations

import logging

from nimbus.common.db import Database
from nimbus.compute import exceptions as exc
from nimbus.compute.cells import CellFailed, Cells, CellTimeout
from nimbus.compute.db import mappings, server_groups
from nimbus.compute.db.cell import instances
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.scheduler.framework import GroupView

LOG = logging.getLogger(__name__)

# Which plugin a policy needs, as Nova's _get_group_details checks.
NEEDED = {"affinity": "ServerGroupAffinityFilter",
          "anti-affinity": "ServerGroupAntiAffinityFilter",
          "soft-affinity": "ServerGroupSoftAffinityWeigher",
          "soft-anti-affinity": "ServerGroupSoftAntiAffinityWeigher"}


def _group_uuid(spec: RequestSpec) -> str | None:
    if spec.group_uuid:
        return spec.group_uuid
    hint = spec.scheduler_hints.get("group") or []
    return hint[0] if hint else None


def load(api_db: Database, cells: Cells, spec: RequestSpec,
         enabled: set[str]) -> GroupView | None:
    """The group of `spec` as it is now (None: no group, or it was deleted),
    copied into the spec's group fields.

    :raises UnsupportedPolicyException: the policy's filter or weigher is not enabled.
    """
    group_uuid = _group_uuid(spec)
    if not group_uuid:
        return None
    with api_db.reader() as conn:
        try:
            group = server_groups.get(conn, group_uuid)
        except exc.ServerGroupNotFound:
            LOG.info("Server group %s is gone; scheduling without it", group_uuid)
            return None
        placed = mappings.instance_mappings_for(conn, group["members"])
    policy = group["policy"]
    needed = NEEDED.get(policy)
    if needed and needed not in enabled:
        raise exc.UnsupportedPolicyException(reason=f"{needed} not configured")
    cell_uuids = {m.cell_uuid for m in placed if m.cell_uuid}
    member_hosts = _member_hosts(cells, cell_uuids, group["members"])
    view = GroupView(uuid=group["uuid"], policy=policy, rules=dict(group["rules"] or {}),
                     members=set(group["members"]), member_hosts=member_hosts)
    spec.group_uuid = view.uuid
    spec.group_policy = policy
    spec.group_rules = {k: str(v) for k, v in view.rules.items()}
    spec.group_members = sorted(view.members)
    spec.group_hosts = sorted(view.hosts)
    return view


def _member_hosts(cells: Cells, cell_uuids: set[str], members: list[str]) -> dict[str, str]:
    chosen = [c for c in cells.all(include_cell0=False) if c.uuid in cell_uuids]
    if not chosen:
        return {}

    def look(cell: CellMapping, db: Database) -> dict[str, str]:
        with db.reader() as conn:
            return instances.hosts_of(conn, members)

    found: dict[str, str] = {}
    for cell_uuid, result in cells.scatter(chosen, look, timeout=30).items():
        if isinstance(result, (CellTimeout, CellFailed)):
            # Nova goes on without a cell that does not answer; so do we, loudly.
            LOG.warning("Members of a server group in cell %s are unknown: %r", cell_uuid,
                        result)
            continue
        found.update(result)
    return found
