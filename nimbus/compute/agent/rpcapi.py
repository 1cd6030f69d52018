"""The client side of the compute agents' RPC API: calls to one host's agent.

Every call names its host (``prepare(server=host)``); a cell's agents are
reached over the cell's transport, so callers make one client per cell.
"""

from __future__ import annotations

from typing import Any

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

OBJECTS_1_0 = {"Instance": "1.0", "Flavor": "1.0", "ImageMeta": "1.0", "RequestSpec": "1.0",
               "Selection": "1.0", "Migration": "1.0"}


class ComputeAPI(rpc.RPCAPI):
    NAME = "compute"
    TOPIC = "compute"
    CARRIES_TOKEN = True
    HISTORY = (
        rpc.APIVersion("1.0", "first version",
                       methods=("build_and_run_instance", "terminate_instance",
                                "stop_instance", "start_instance", "reboot_instance",
                                "pause_instance", "unpause_instance", "suspend_instance",
                                "resume_instance", "trigger_crash_dump", "set_admin_password",
                                "get_console_output", "get_instance_diagnostics",
                                "get_remote_console", "soft_delete_instance",
                                "restore_instance", "external_instance_event",
                                # resize and cold migration (agent/resize.py)
                                "prep_resize", "resize_instance", "finish_resize",
                                "confirm_resize", "revert_resize", "finish_revert_resize",
                                # live migration (agent/live_migration.py)
                                "check_can_live_migrate_destination", "live_migration",
                                "pre_live_migration", "post_live_migration_at_destination",
                                "rollback_live_migration_at_destination",
                                "live_migration_abort", "live_migration_force_complete",
                                # evacuation (agent/evacuate.py)
                                "evacuate_instance",
                                # the host (agent/periodic.py)
                                "set_host_enabled",
                                # images: snapshots, rebuilds, shelving, rescue
                                "snapshot_instance", "backup_instance", "rebuild_instance",
                                "shelve_instance", "shelve_offload_instance",
                                "unshelve_instance", "rescue_instance", "unrescue_instance"),
                       objects=OBJECTS_1_0),
    )

    def build_and_run_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                               image: ImageMeta, spec: RequestSpec,
                               admin_password: str | None,
                               injected_files: list[tuple[str, str]],
                               requested_networks: Any, node: str,
                               host_list: list[Selection]) -> None:
        self.prepare(server=host).cast(
            ctxt, "build_and_run_instance", instance=instance, image=image, spec=spec,
            admin_password=admin_password, injected_files=injected_files,
            requested_networks=requested_networks, node=node, host_list=host_list)

    def terminate_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "terminate_instance", instance=instance)

    def stop_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                      clean_shutdown: bool = True) -> None:
        self.prepare(server=host).cast(ctxt, "stop_instance", instance=instance,
                                       clean_shutdown=clean_shutdown)

    def start_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "start_instance", instance=instance)

    # --- the guest ---------------------------------------------------------------

    def reboot_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        reboot_type: str) -> None:
        self.prepare(server=host).cast(ctxt, "reboot_instance", instance=instance,
                                       reboot_type=reboot_type)

    def pause_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "pause_instance", instance=instance)

    def unpause_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "unpause_instance", instance=instance)

    def suspend_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "suspend_instance", instance=instance)

    def resume_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "resume_instance", instance=instance)

    def trigger_crash_dump(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "trigger_crash_dump", instance=instance)

    def set_admin_password(self, ctxt: RequestContext, host: str, instance: Instance,
                           new_pass: str) -> None:
        """A call: :raises InstancePasswordSetFailed: :raises NotSupported:"""
        self.prepare(server=host).call(ctxt, "set_admin_password", instance=instance,
                                       new_pass=new_pass)

    def get_console_output(self, ctxt: RequestContext, host: str, instance: Instance,
                           tail_length: int | None) -> str:
        """:raises ConsoleNotAvailable: :raises NotSupported:"""
        result: str = self.prepare(server=host).call(
            ctxt, "get_console_output", instance=instance, tail_length=tail_length)
        return result

    def get_instance_diagnostics(self, ctxt: RequestContext, host: str,
                                 instance: Instance) -> dict[str, Any]:
        """:raises InstanceInvalidState: not running. :raises NotSupported:"""
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "get_instance_diagnostics", instance=instance)
        return result

    def get_remote_console(self, ctxt: RequestContext, host: str, instance: Instance,
                           protocol: str, console_type: str) -> dict[str, Any]:
        """:raises ConsoleTypeUnavailable: :raises ConsoleTypeInvalid:"""
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "get_remote_console", instance=instance, protocol=protocol,
            console_type=console_type)
        return result

    # --- soft deletes, external events ----------------------------------------------

    def soft_delete_instance(self, ctxt: RequestContext, host: str,
                             instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "soft_delete_instance", instance=instance)

    def restore_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "restore_instance", instance=instance)

    def external_instance_event(self, ctxt: RequestContext, host: str,
                                instances: list[Instance],
                                events: list[dict[str, Any]]) -> None:
        self.prepare(server=host).cast(ctxt, "external_instance_event", instances=instances,
                                       events=events)

    # --- resize and cold migration ----------------------------------------------------

    def prep_resize(self, ctxt: RequestContext, host: str, instance: Instance,
                    migration: Migration, flavor: Flavor, image: ImageMeta,
                    clean_shutdown: bool = True) -> None:
        """To the destination: get ready to receive `instance`."""
        self.prepare(server=host).cast(ctxt, "prep_resize", instance=instance,
                                       migration=migration, flavor=flavor, image=image,
                                       clean_shutdown=clean_shutdown)

    def resize_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        migration: Migration, flavor: Flavor, image: ImageMeta,
                        clean_shutdown: bool = True) -> None:
        """To the source: stop the instance and hand its disks over."""
        self.prepare(server=host).cast(ctxt, "resize_instance", instance=instance,
                                       migration=migration, flavor=flavor, image=image,
                                       clean_shutdown=clean_shutdown)

    def finish_resize(self, ctxt: RequestContext, host: str, instance: Instance,
                      migration: Migration, disk_info: dict[str, Any],
                      image: ImageMeta) -> None:
        """To the destination: start the instance with its new flavor."""
        self.prepare(server=host).cast(ctxt, "finish_resize", instance=instance,
                                       migration=migration, disk_info=disk_info, image=image)

    def confirm_resize(self, ctxt: RequestContext, host: str, instance: Instance,
                       migration: Migration) -> None:
        """To the source: drop what the resize left there."""
        self.prepare(server=host).cast(ctxt, "confirm_resize", instance=instance,
                                       migration=migration)

    def revert_resize(self, ctxt: RequestContext, host: str, instance: Instance,
                      migration: Migration) -> None:
        """To the destination: drop the resized instance, then hand back to the source."""
        self.prepare(server=host).cast(ctxt, "revert_resize", instance=instance,
                                       migration=migration)

    def finish_revert_resize(self, ctxt: RequestContext, host: str, instance: Instance,
                             migration: Migration) -> None:
        """To the source: bring the instance back as it was."""
        self.prepare(server=host).cast(ctxt, "finish_revert_resize", instance=instance,
                                       migration=migration)

    # --- live migration ----------------------------------------------------------------

    def check_can_live_migrate_destination(self, ctxt: RequestContext, host: str,
                                           instance: Instance,
                                           block_migration: bool | None) -> dict[str, Any]:
        """To a candidate destination: can it take `instance`? Its migrate data.

        :raises MigrationPreCheckError:
        """
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "check_can_live_migrate_destination", instance=instance,
            block_migration=block_migration)
        return result

    def live_migration(self, ctxt: RequestContext, host: str, instance: Instance, dest: str,
                       migration: Migration, migrate_data: dict[str, Any]) -> None:
        """To the source: run the live migration to `dest`."""
        self.prepare(server=host).cast(ctxt, "live_migration", instance=instance, dest=dest,
                                       migration=migration, migrate_data=migrate_data)

    def pre_live_migration(self, ctxt: RequestContext, host: str, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        """To the destination, from the source: prepare to receive the guest."""
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "pre_live_migration", instance=instance, migrate_data=migrate_data)
        return result

    def post_live_migration_at_destination(self, ctxt: RequestContext, host: str,
                                           instance: Instance, migration: Migration) -> None:
        """To the destination, from the source: the guest runs there now."""
        self.prepare(server=host).call(ctxt, "post_live_migration_at_destination",
                                       instance=instance, migration=migration)

    def rollback_live_migration_at_destination(self, ctxt: RequestContext, host: str,
                                               instance: Instance) -> None:
        """To the destination, from the source: drop what pre_live_migration made."""
        self.prepare(server=host).cast(ctxt, "rollback_live_migration_at_destination",
                                       instance=instance)

    def live_migration_abort(self, ctxt: RequestContext, host: str, instance: Instance,
                             migration_id: int) -> None:
        self.prepare(server=host).cast(ctxt, "live_migration_abort", instance=instance,
                                       migration_id=migration_id)

    def live_migration_force_complete(self, ctxt: RequestContext, host: str,
                                      instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "live_migration_force_complete",
                                       instance=instance)

    # --- evacuation ----------------------------------------------------------------------

    def evacuate_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                          migration: Migration, image: ImageMeta,
                          admin_password: str | None, target_state: str | None) -> None:
        """To the destination: rebuild there an instance whose host is down."""
        self.prepare(server=host).cast(ctxt, "evacuate_instance", instance=instance,
                                       migration=migration, image=image,
                                       admin_password=admin_password,
                                       target_state=target_state)
    def set_host_enabled(self, ctxt: RequestContext, host: str, enabled: bool) -> str:
        """Tell an agent its service was enabled or disabled, so that it sets
        or clears COMPUTE_STATUS_DISABLED now; "enabled" or "disabled"."""
        result: str = self.prepare(server=host).call(ctxt, "set_host_enabled",
                                                     enabled=enabled)
        return result

    # --- images: snapshots, rebuilds, shelving, rescue ------------------------------

    def snapshot_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                          image_id: str) -> None:
        self.prepare(server=host).cast(ctxt, "snapshot_instance", instance=instance,
                                       image_id=image_id)

    def backup_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        image_id: str, backup_type: str, rotation: int) -> None:
        self.prepare(server=host).cast(ctxt, "backup_instance", instance=instance,
                                       image_id=image_id, backup_type=backup_type,
                                       rotation=rotation)

    def rebuild_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                         image: ImageMeta, admin_password: str | None,
                         injected_files: list[tuple[str, str]],
                         preserve_ephemeral: bool) -> None:
        self.prepare(server=host).cast(ctxt, "rebuild_instance", instance=instance,
                                       image=image, admin_password=admin_password,
                                       injected_files=injected_files,
                                       preserve_ephemeral=preserve_ephemeral)

    def shelve_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        image_id: str, clean_shutdown: bool = True) -> None:
        self.prepare(server=host).cast(ctxt, "shelve_instance", instance=instance,
                                       image_id=image_id, clean_shutdown=clean_shutdown)

    def shelve_offload_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                                clean_shutdown: bool = True) -> None:
        self.prepare(server=host).cast(ctxt, "shelve_offload_instance", instance=instance,
                                       clean_shutdown=clean_shutdown)

    def unshelve_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                          image: ImageMeta | None, node: str | None) -> None:
        """Power on a shelved instance (no image), or spawn an offloaded one
        from its shelved image on `node`."""
        self.prepare(server=host).cast(ctxt, "unshelve_instance", instance=instance,
                                       image=image, node=node)

    def rescue_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        rescue_password: str | None, rescue_image_ref: str | None) -> None:
        self.prepare(server=host).cast(ctxt, "rescue_instance", instance=instance,
                                       rescue_password=rescue_password,
                                       rescue_image_ref=rescue_image_ref)

    def unrescue_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "unrescue_instance", instance=instance)
