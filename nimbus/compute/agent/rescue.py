"""Rescue and unrescue of instances on this host: the guest is stopped and
booted from a rescue image (the one asked for, else the image it was built
from) with its own disk attached; unrescue boots it from its disk again.
A driver that fails leaves the server in ERROR, as Nova's does."""

from __future__ import annotations

import contextlib
import logging
import secrets
import string

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import now_iso
from nimbus.compute.agent.imaging import ImagingBase
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)


def _password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class RescueMixin(ImagingBase):
    def rescue_instance(self, ctxt: RequestContext, instance: Instance,
                        rescue_password: str | None, rescue_image_ref: str | None) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "rescue_instance"):
                    image = self._rescue_image(instance, rescue_image_ref)
                    with contextlib.suppress(virt.InstanceNotFound):
                        self.driver.power_off(instance, 60)
                    self.driver.rescue(ctxt, instance, image, rescue_password or _password())
            except exc.InstanceNotFound:
                LOG.info("Instance %s went away before its rescue", instance.uuid)
                return
            except Exception as err:
                LOG.warning("Rescue of %s failed: %s", instance.uuid, err)
                self._error(ctxt, instance, f"Instance {instance.uuid} cannot be rescued: "
                            f"Driver Error: {err}")
                return
            self._rescue_done(ctxt, instance, states.RESCUED, states.RESCUING,
                              {"launched_at": now_iso()})

    def unrescue_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "unrescue_instance"):
                    self.driver.unrescue(ctxt, instance)
            except Exception as err:
                LOG.warning("Unrescue of %s failed: %s", instance.uuid, err)
                self._error(ctxt, instance, f"Unrescue of instance {instance.uuid} failed: "
                            f"{err}")
                return
            self._rescue_done(ctxt, instance, states.ACTIVE, states.UNRESCUING, {})

    def _rescue_image(self, instance: Instance, rescue_image_ref: str | None) -> ImageMeta:
        """The image asked for, else the one the server was built from, else its
        current image (as Nova chooses)."""
        ref = (rescue_image_ref or instance.system_metadata.get("image_base_image_ref")
               or instance.image_ref)
        if not ref:
            raise exc.UnsupportedRescueImage(image="")
        return self.images.meta(ref)

    def _rescue_done(self, ctxt: RequestContext, instance: Instance, vm_state: str,
                     expected: str, values: dict[str, object]) -> None:
        try:
            power = self.driver.get_info(instance).power_state
        except virt.InstanceNotFound:
            power = states.NOSTATE
        with contextlib.suppress(exc.InstanceNotFound, exc.UnexpectedTaskState):
            self._update(ctxt, instance, {"vm_state": vm_state, "task_state": None,
                                          "power_state": power, **values},
                         expected=[expected])
