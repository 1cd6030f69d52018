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


# --- moves (resize, migrations, evacuation) ---------------------------------------------

class MigrationNotFound(NotFound):
    msg_fmt = "Migration %(migration_id)s could not be found."


class MigrationNotFoundByStatus(MigrationNotFound):
    msg_fmt = "Migration not found for instance %(instance_id)s with status %(status)s."


class MigrationNotFoundForInstance(MigrationNotFound):
    msg_fmt = "Migration %(migration_id)s not found for instance %(instance_id)s"


class InvalidMigrationState(Invalid):
    msg_fmt = ("Migration %(migration_id)s state of instance %(instance_uuid)s is %(state)s. "
               "Cannot %(method)s while the migration is in this state.")


class CannotResizeToSameFlavor(Invalid):
    msg_fmt = "When resizing, instances must change flavor!"


class CannotResizeDisk(Invalid):
    msg_fmt = "Server disk was unable to be resized because: %(reason)s"


class FlavorMemoryTooSmall(Invalid):
    msg_fmt = "Flavor's memory is too small for requested image."


class FlavorDiskSmallerThanImage(Invalid):
    msg_fmt = ("Flavor's disk is too small for requested image. Flavor disk is "
               "%(flavor_size)i bytes, image is %(image_size)i bytes.")


class FlavorDiskSmallerThanMinDisk(Invalid):
    msg_fmt = ("Flavor's disk is smaller than the minimum size specified in image metadata. "
               "Flavor disk is %(flavor_size)i bytes, minimum size is %(image_min_disk)i "
               "bytes.")


class CannotMigrateToSameHost(Invalid):
    msg_fmt = "Cannot migrate to the host where the server exists."


class UnableToMigrateToSelf(Invalid):
    msg_fmt = "Unable to migrate instance (%(instance_id)s) to current host (%(host)s)."


class HostServiceUnavailable(Conflict):
    """Nova's ServiceUnavailable of a move: the instance's host is down (409)."""

    msg_fmt = "Service is unavailable at this time."


class ComputeServiceUnavailable(ComputeError):
    msg_fmt = "Compute service of %(host)s is unavailable at this time."


class ComputeServiceInUse(ComputeError):
    msg_fmt = "Compute service of %(host)s is still in use."


class InvalidHypervisorType(Invalid):
    msg_fmt = "The supplied hypervisor type of is invalid."


class MigrationError(ComputeError):
    msg_fmt = "Migration error: %(reason)s"


class MigrationPreCheckError(MigrationError):
    msg_fmt = "Migration pre-check error: %(reason)s"


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


class InstanceNotReady(Conflict):
    """The server is on no host (yet): an action that needs its agent waits."""

    msg_fmt = "Instance %(instance_id)s is not ready"


class InstancePasswordSetFailed(Conflict):
    msg_fmt = "Failed to set admin password on %(instance)s because %(reason)s"


class ConsoleNotAvailable(NotFound):
    msg_fmt = "Guest does not have a console available."


class ConsoleTypeInvalid(Invalid):
    msg_fmt = "Invalid console type %(console_type)s"


class ConsoleTypeUnavailable(Invalid):
    msg_fmt = "Unavailable console type %(console_type)s."


class NotSupported(ComputeError):
    """What the virt driver of the server's host cannot do; Nova answers 501."""

    msg_fmt = "The requested functionality is not supported."


class MetadataLimitExceeded(QuotaExceeded):
    msg_fmt = "Maximum number of metadata items exceeds %(allowed)d"


class MetadataItemNotFound(NotFound):
    msg_fmt = "Metadata item was not found"


class InstanceTagNotFound(NotFound):
    msg_fmt = "Instance %(instance_id)s has no tag '%(tag)s'"


class TooManyTags(Invalid):
    msg_fmt = "The number of tags exceeded the per-server limit %(limit)d"


class InvalidRequest(Invalid):
    msg_fmt = "%(detail)s"


class ImageNotActive(Invalid):
    msg_fmt = "Image %(image_id)s is not active."


class ImageBadRequest(Invalid):
    msg_fmt = "Request of image %(image_id)s got BadRequest response: %(response)s"


class ImageNotAuthorized(Forbidden):
    msg_fmt = "Not authorized for image %(image_id)s."


class ImageQuotaExceeded(Forbidden):
    msg_fmt = "Quota exceeded or out of space for image %(image_id)s in the image service."


class UnsupportedRescueImage(Invalid):
    msg_fmt = "Requested rescue image '%(image)s' is not supported"


class UnshelveInstanceInvalidState(Conflict):
    msg_fmt = ('Specifying an availability zone or a host when unshelving server '
               '"%(instance_uuid)s" with status "%(state)s" is not supported. The server '
               'status must be SHELVED_OFFLOADED.')


class UnshelveHostNotInAZ(Conflict):
    msg_fmt = 'Host "%(host)s" is not in the availability zone "%(availability_zone)s".'


# What a live migration's checks may refuse it with: the server stays where
# it was, as it was (and before microversion 2.34 the caller gets a 400).
LIVE_MIGRATION_CHECK_FAILURES = (NoValidHost, ComputeHostNotFound, ComputeServiceUnavailable,
                                 InvalidHypervisorType, UnableToMigrateToSelf,
                                 InstanceInvalidState, MigrationPreCheckError)


class RequestFilterFailed(ComputeError):
    msg_fmt = "Scheduling failed: %(reason)s"


class UnsupportedPolicyException(Invalid):
    msg_fmt = "ServerGroup policy is not supported: %(reason)s"


class GroupAffinityViolation(ComputeError):
    msg_fmt = "%(policy)s instance group policy was violated"
