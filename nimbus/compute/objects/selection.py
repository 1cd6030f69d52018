"""A scheduler's answer for one instance: a host, and how to claim it in placement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nimbus.common.objects import NimbusObject, fields, register


@register
class Selection(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        service_host: str
        nodename: str
        compute_node_uuid: str
        cell_uuid: str
        allocation_request: str | None
        allocation_request_version: str | None

    fields = {
        "service_host": fields.StringField(),
        "nodename": fields.StringField(),
        "compute_node_uuid": fields.UUIDField(),
        "cell_uuid": fields.UUIDField(),
        # The placement allocation request (JSON) that claims this host; the
        # first selection's is already claimed, an alternate's is claimed
        # by whoever falls back to it.
        "allocation_request": fields.StringField(nullable=True),
        "allocation_request_version": fields.StringField(nullable=True),
    }
