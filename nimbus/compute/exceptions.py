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


class InstanceNotFound(NotFound):
    msg_fmt = "Instance %(instance_id)s could not be found."


class InstanceMappingNotFound(NotFound):
    msg_fmt = "Instance %(uuid)s has not been mapped to a cell."


class BuildRequestNotFound(NotFound):
    msg_fmt = "BuildRequest not found for instance %(uuid)s"


class RequestSpecNotFound(NotFound):
    msg_fmt = "RequestSpec not found for instance %(instance_uuid)s"


class CellMappingNotFound(NotFound):
    msg_fmt = "Cell %(uuid)s has no mapping."


class CellExists(Conflict):
    msg_fmt = "A cell named %(name)s already maps this database and transport."


class CellInUse(Conflict):
    msg_fmt = "Cell %(uuid)s still has hosts or instances mapped to it."


class HostMappingNotFound(NotFound):
    msg_fmt = "Host '%(name)s' is not mapped to any cell"


class ComputeHostNotFound(NotFound):
    msg_fmt = "Compute host %(host)s could not be found."


class ServiceNotFound(NotFound):
    msg_fmt = "Service %(service_id)s could not be found."


class InstanceActionNotFound(NotFound):
    msg_fmt = "Action for request_id %(request_id)s on instance %(instance_uuid)s not found"


class InstanceActionEventNotFound(NotFound):
    msg_fmt = "Event %(event)s not found for action id %(action_id)s"


class UnexpectedTaskState(Conflict):
    msg_fmt = ("Conflict updating instance %(instance_uuid)s. Expected: %(expected)s. "
               "Actual: %(actual)s")


class InstanceInvalidState(Conflict):
    msg_fmt = ("Cannot '%(action)s' instance %(instance_uuid)s while it is in %(attr)s "
               "%(state)s")


class InstanceIsLocked(Conflict):
    msg_fmt = "Instance %(instance_uuid)s is locked"


class ImageNotFound(NotFound):
    msg_fmt = "Image %(image_id)s could not be found."


class NoValidHost(ComputeError):
    msg_fmt = "No valid host was found. %(reason)s"


class MaxRetriesExceeded(NoValidHost):
    msg_fmt = "Exceeded maximum number of retries. %(reason)s"


class QuotaExceeded(ComputeError):
    """A quota would be exceeded; Nova answers 403 (413 for some resources)."""

    msg_fmt = "Quota exceeded for %(resources)s: %(detail)s"


class PlacementError(ComputeError):
    msg_fmt = "Placement answered %(status)s to %(method)s %(url)s: %(detail)s"


class AllocationClaimFailed(ComputeError):
    msg_fmt = "Placement refused the claim of %(consumer)s: %(detail)s"


class ServiceUnavailable(ComputeError):
    msg_fmt = "%(detail)s"


class Forbidden(ComputeError):
    msg_fmt = "%(detail)s"


class ServerGroupNotFound(NotFound):
    msg_fmt = "Instance group %(group_uuid)s could not be found."


class RequestFilterFailed(ComputeError):
    msg_fmt = "Scheduling failed: %(reason)s"


class UnsupportedPolicyException(Invalid):
    msg_fmt = "ServerGroup policy is not supported: %(reason)s"


class GroupAffinityViolation(ComputeError):
    msg_fmt = "%(policy)s instance group policy was violated"
