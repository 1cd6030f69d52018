"""The state machine of a server: vm_state, task_state and power_state, with
Nova's values, and the status the API shows for each combination."""

from __future__ import annotations

from collections.abc import Iterable

# --- vm_state: what the server is, when no task runs ------------------------
ACTIVE = "active"
BUILDING = "building"
PAUSED = "paused"
SUSPENDED = "suspended"
STOPPED = "stopped"
RESCUED = "rescued"
RESIZED = "resized"
SOFT_DELETED = "soft-delete"
DELETED = "deleted"
ERROR = "error"
SHELVED = "shelved"
SHELVED_OFFLOADED = "shelved_offloaded"

# --- task_state: what is being done to it -----------------------------------
SCHEDULING = "scheduling"
BLOCK_DEVICE_MAPPING = "block_device_mapping"
NETWORKING = "networking"
SPAWNING = "spawning"
IMAGE_SNAPSHOT = "image_snapshot"
IMAGE_SNAPSHOT_PENDING = "image_snapshot_pending"
IMAGE_PENDING_UPLOAD = "image_pending_upload"
IMAGE_UPLOADING = "image_uploading"
IMAGE_BACKUP = "image_backup"
UPDATING_PASSWORD = "updating_password"
RESIZE_PREP = "resize_prep"
RESIZE_MIGRATING = "resize_migrating"
RESIZE_MIGRATED = "resize_migrated"
RESIZE_FINISH = "resize_finish"
RESIZE_REVERTING = "resize_reverting"
RESIZE_CONFIRMING = "resize_confirming"
REBOOTING = "rebooting"
REBOOT_PENDING = "reboot_pending"
REBOOT_STARTED = "reboot_started"
REBOOTING_HARD = "rebooting_hard"
REBOOT_PENDING_HARD = "reboot_pending_hard"
REBOOT_STARTED_HARD = "reboot_started_hard"
PAUSING = "pausing"
UNPAUSING = "unpausing"
SUSPENDING = "suspending"
RESUMING = "resuming"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
RESCUING = "rescuing"
UNRESCUING = "unrescuing"
REBUILDING = "rebuilding"
REBUILD_BLOCK_DEVICE_MAPPING = "rebuild_block_device_mapping"
REBUILD_SPAWNING = "rebuild_spawning"
MIGRATING = "migrating"
DELETING = "deleting"
SOFT_DELETING = "soft-deleting"
RESTORING = "restoring"
SHELVING = "shelving"
SHELVING_IMAGE_PENDING_UPLOAD = "shelving_image_pending_upload"
SHELVING_IMAGE_UPLOADING = "shelving_image_uploading"
SHELVING_OFFLOADING = "shelving_offloading"
UNSHELVING = "unshelving"

# --- power_state: what the hypervisor says ------------------------------------
NOSTATE = 0
RUNNING = 1
PAUSED_POWER = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED_POWER = 7

POWER_STATE_NAMES = {NOSTATE: "pending", RUNNING: "running", PAUSED_POWER: "paused",
                     SHUTDOWN: "shutdown", CRASHED: "crashed", SUSPENDED_POWER: "suspended"}

_REBOOT = (REBOOTING, REBOOT_PENDING, REBOOT_STARTED)
_HARD_REBOOT = (REBOOTING_HARD, REBOOT_PENDING_HARD, REBOOT_STARTED_HARD)
_REBUILD = (REBUILDING, REBUILD_BLOCK_DEVICE_MAPPING, REBUILD_SPAWNING)
_RESIZE = (RESIZE_PREP, RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH)

# vm_state -> {task_state (None: no task) -> status}; "default" when the
# task is not listed. Nova's table, as its API reference documents it.
_STATUS: dict[str, dict[str | None, str]] = {
    ACTIVE: {"default": "ACTIVE", **dict.fromkeys(_REBOOT, "REBOOT"),
             **dict.fromkeys(_HARD_REBOOT, "HARD_REBOOT"),
             UPDATING_PASSWORD: "PASSWORD", **dict.fromkeys(_REBUILD, "REBUILD"),
             MIGRATING: "MIGRATING", **dict.fromkeys(_RESIZE, "RESIZE")},
    BUILDING: {"default": "BUILD"},
    STOPPED: {"default": "SHUTOFF", **dict.fromkeys(_RESIZE, "RESIZE"),
              **dict.fromkeys(_REBUILD, "REBUILD")},
    RESIZED: {"default": "VERIFY_RESIZE", RESIZE_REVERTING: "REVERT_RESIZE"},
    PAUSED: {"default": "PAUSED", MIGRATING: "MIGRATING"},
    SUSPENDED: {"default": "SUSPENDED"},
    RESCUED: {"default": "RESCUE"},
    ERROR: {"default": "ERROR", **dict.fromkeys(_REBUILD, "REBUILD")},
    DELETED: {"default": "DELETED"},
    SOFT_DELETED: {"default": "SOFT_DELETED"},
    SHELVED: {"default": "SHELVED"},
    SHELVED_OFFLOADED: {"default": "SHELVED_OFFLOADED"},
}

# Statuses whose bodies carry "progress" (Nova shows it only for these).
PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE",
                               "MIGRATING"})


def status(vm_state: str, task_state: str | None) -> str:
    """The API status of a server, as Nova derives it."""
    tasks = _STATUS.get(vm_state)
    if tasks is None:
        return "UNKNOWN"
    return tasks.get(task_state, tasks["default"]) if task_state else tasks["default"]


def states_for_status(wanted: str) -> list[tuple[str, list[str | None] | None]] | None:
    """The (vm_state, task_states) pairs that show as `wanted` (upper case),
    for the status filter of server lists; task_states None means any task
    not claimed by another status. None when no state shows as `wanted`."""
    pairs: list[tuple[str, list[str | None] | None]] = []
    for vm_state, tasks in _STATUS.items():
        if tasks["default"] == wanted:
            pairs.append((vm_state, None))
            continue
        matching = [t for t, s in tasks.items() if t != "default" and s == wanted]
        if matching:
            pairs.append((vm_state, matching))
    return pairs or None


def excluded_tasks(vm_state: str) -> list[str]:
    """The task states that make `vm_state` show another status than its default."""
    return [t for t in _STATUS.get(vm_state, {}) if t and t != "default"]


ALL_STATUSES = frozenset(s for tasks in _STATUS.values() for s in tasks.values()) | {"UNKNOWN"}


def allowed(vm_state: str, task_state: str | None, vm_states: Iterable[str] | None,
            task_states: Iterable[str | None] | None = (None,)) -> bool:
    """Whether an action that needs one of `vm_states` (None: any) and one of
    `task_states` (None: any; default: no task running) may start."""
    if vm_states is not None and vm_state not in vm_states:
        return False
    return task_states is None or task_state in task_states


# --- which states an action starts from (Nova's vm_states / task_states lists) ---
ALLOW_SOFT_REBOOT = (ACTIVE,)
ALLOW_HARD_REBOOT = (ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR)
# A hard reboot may also cut short a reboot or a pause/suspend/resume under way.
ALLOW_REBOOT_TASKS: tuple[str | None, ...] = (
    None, REBOOTING, REBOOT_PENDING, REBOOT_STARTED, RESUMING, REBOOTING_HARD, UNPAUSING,
    PAUSING, SUSPENDING)
ALLOW_TRIGGER_CRASH_DUMP = (ACTIVE, PAUSED, RESCUED, RESIZED, ERROR)
