"""Domain errors of the compute service, worded as Nova words them.

Handlers turn them into HTTP errors; the data layer and the validators raise
them without knowing HTTP.
"""

from __future__ import annotations

from nimbus.common.exceptions import DomainError


class ComputeError(DomainError):
    pass


class NotFound(ComputeError):
    msg_fmt = "Resource could not be found."


class Conflict(ComputeError):
    msg_fmt = "Conflict."


class Invalid(ComputeError):
    msg_fmt = "Invalid input."


class FlavorNotFound(NotFound):
    msg_fmt = "Flavor %(flavor_id)s could not be found."


class FlavorExists(Conflict):
    msg_fmt = "Flavor with name %(name)s already exists."


class FlavorIdExists(Conflict):
    msg_fmt = "Flavor with ID %(flavor_id)s already exists."


class FlavorAccessExists(Conflict):
    msg_fmt = ("Flavor access already exists for flavor %(flavor_id)s and project "
               "%(project_id)s combination.")


class FlavorAccessNotFound(NotFound):
    msg_fmt = "Flavor access not found for %(flavor_id)s / %(project_id)s combination."


class FlavorExtraSpecsNotFound(NotFound):
    msg_fmt = "Flavor %(flavor_id)s has no extra specs with key %(extra_specs_key)s."


class MarkerNotFound(NotFound):
    msg_fmt = "Marker %(marker)s could not be found."


class KeypairNotFound(NotFound):
    msg_fmt = "Keypair %(name)s not found for user %(user_id)s"


class KeyPairExists(Conflict):
    msg_fmt = "Key pair '%(key_name)s' already exists."


class InvalidKeypair(Invalid):
    msg_fmt = "Keypair data is invalid: %(reason)s"


class KeypairLimitExceeded(ComputeError):
    msg_fmt = "Quota exceeded, too many key pairs."


class ExtraSpecInvalid(Invalid):
    """An extra spec that a validator refused; the message says why."""

    msg_fmt = "%(detail)s"
