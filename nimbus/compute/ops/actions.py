"""Starting a server action: the state check, the task state, the instance action record.

Every action Nova guards with check_instance_state and check_instance_lock
starts here: the server must be in a cell (not still a build request), in
one of the allowed vm_states with an allowed task_state, and unlocked (unless
the caller is an admin). The new task state is set only if the states are
still what they were (a concurrent action gets 409, never a lost update),
and the instance action is recorded in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell import actions
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


def check_state(found: Found, name: str, vm_states: Iterable[str] | None,
                task_states: Iterable[str | None] | None = (None,),
                must_have_launched: bool = True) -> None:
    """Nova's check_instance_state: the vm_state, the task_state, and (unless
    told otherwise) a server that has run at least once.

    :raises InstanceInvalidState: (409) in Nova's words.
    """
    server = found.server
    if found.cell is None:
        raise exc.InstanceInvalidState(action=name, instance_uuid=server.uuid,
                                       attr="vm_state", state=server.vm_state)
    if vm_states is not None and server.vm_state not in set(vm_states):
        raise exc.InstanceInvalidState(action=name, instance_uuid=server.uuid,
                                       attr="vm_state", state=server.vm_state)
    if task_states is not None and server.task_state not in set(task_states):
        raise exc.InstanceInvalidState(action=name, instance_uuid=server.uuid,
                                       attr="task_state", state=server.task_state)
    if must_have_launched and server.launched_at is None:
        raise exc.InstanceInvalidState(action=name, instance_uuid=server.uuid,
                                       attr="launched_at", state=None)


def check_host(found: Found) -> str:
    """Nova's check_instance_host: the host whose agent an action needs.

    :raises InstanceNotReady: (409) the server is on no host.
    """
    if found.cell is None or not found.server.host:
        raise exc.InstanceNotReady(instance_id=found.server.uuid)
    return found.server.host


def check_lock(found: Found, is_admin: bool) -> None:
    """:raises InstanceIsLocked: (409) unless the caller is an admin."""
    if found.server.locked and not is_admin:
        raise exc.InstanceIsLocked(instance_uuid=found.server.uuid)


def begin(compute: Compute, ctx: RequestContext, found: Found, *, name: str,
          vm_states: Iterable[str] | None, task_states: Iterable[str | None] | None = (None,),
          values: dict[str, Any] | None = None, record_as: str | None = None,
          is_admin: bool = False, check_locked: bool = True, needs_host: bool = False,
          must_have_launched: bool = True) -> InstanceRecord:
    """Check, then change the server (typically its task_state) and record the
    instance action `record_as` (default `name`) at once; the changed record.

    :raises InstanceInvalidState: :raises InstanceIsLocked:
    :raises InstanceNotReady: (all 409)
    """
    if check_locked:
        check_lock(found, is_admin)
    if needs_host:
        check_host(found)
    check_state(found, name, vm_states, task_states, must_have_launched)
    assert found.cell is not None
    server = found.server
    expected = None if task_states is None else list(task_states)
    expected_vm = None if vm_states is None else list(vm_states)
    with compute.cells.db(found.cell).writer() as conn:
        try:
            record = cell_instances.update(conn, server.uuid, values or {},
                                           expected_task_state=expected,
                                           expected_vm_state=expected_vm)
        except exc.UnexpectedTaskState:
            current = cell_instances.get(conn, server.uuid, extras=cell_instances.NONE)
            raise exc.InstanceInvalidState(action=name, instance_uuid=server.uuid,
                                           attr="task_state",
                                           state=current.task_state) from None
        actions.start(conn, server.uuid, record_as or name, ctx.request_id, ctx.user_id,
                      ctx.project_id)
    record.cell_uuid = found.cell.uuid
    return record
