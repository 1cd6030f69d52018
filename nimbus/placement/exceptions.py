"""Domain errors of placement. Handlers turn them into HTTP errors with codes."""

from __future__ import annotations

from nimbus.common.exceptions import DomainError


class PlacementError(DomainError):
    pass


class NotFound(PlacementError):
    msg_fmt = "Resource could not be found."


class ResourceProviderNotFound(NotFound):
    msg_fmt = "No results are possible."


class ProviderUuidNotFound(NotFound):
    msg_fmt = "No resource provider with uuid %(uuid)s found"


class ResourceClassNotFound(NotFound):
    msg_fmt = "No such resource class %(name)s."


class TraitNotFound(NotFound):
    msg_fmt = "No such trait(s): %(name)s."


class ConsumerTypeNotFound(NotFound):
    msg_fmt = "No such consumer type: %(name)s."


class InventoryNotFoundForDelete(NotFound):
    msg_fmt = "No inventory of class %(resource_class)s found for delete"


class InventoryWithResourceClassNotFound(NotFound):
    msg_fmt = "No inventory of class %(resource_class)s found."


class ResourceClassExists(PlacementError):
    msg_fmt = "Resource class %(resource_class)s already exists."


class ResourceClassCannotDeleteStandard(PlacementError):
    msg_fmt = "Cannot delete standard resource class %(resource_class)s."


class ResourceClassCannotUpdateStandard(PlacementError):
    msg_fmt = "Cannot update standard resource class %(resource_class)s."


class ResourceClassInUse(PlacementError):
    msg_fmt = ("Cannot delete resource class %(resource_class)s. "
               "Class is in use in inventory.")


class TraitExists(PlacementError):
    msg_fmt = "The Trait %(name)s already exists"


class TraitCannotDeleteStandard(PlacementError):
    msg_fmt = "Cannot delete standard trait %(name)s."


class TraitInUse(PlacementError):
    msg_fmt = "The trait %(name)s is in use by a resource provider."


class ConcurrentUpdateDetected(PlacementError):
    msg_fmt = "Another thread concurrently updated the data. Please retry your update"


class ResourceProviderConcurrentUpdateDetected(ConcurrentUpdateDetected):
    msg_fmt = ("Another thread concurrently updated the resource provider data. "
               "Please retry your update")


class ResourceProviderInUse(PlacementError):
    msg_fmt = "Resource provider has allocations."


class CannotDeleteParentResourceProvider(PlacementError):
    msg_fmt = ("Cannot delete resource provider that is a parent of another. "
               "Delete child providers first.")


class InvalidInventory(PlacementError):
    msg_fmt = ("Inventory for '%(resource_class)s' on resource provider "
               "'%(resource_provider)s' invalid.")


class InvalidInventoryCapacity(InvalidInventory):
    msg_fmt = ("Invalid inventory for '%(resource_class)s' on resource provider "
               "'%(resource_provider)s'. The reserved value is greater than or equal "
               "to total.")


class InvalidInventoryCapacityReservedCanBeTotal(InvalidInventoryCapacity):
    msg_fmt = ("Invalid inventory for '%(resource_class)s' on resource provider "
               "'%(resource_provider)s'. The reserved value is greater than total.")


class InventoryInUse(InvalidInventory):
    msg_fmt = ("Inventory for '%(resource_classes)s' on resource provider "
               "'%(resource_provider)s' in use.")


class InvalidAllocationCapacityExceeded(InvalidInventory):
    msg_fmt = ("Unable to create allocation for '%(resource_class)s' on resource "
               "provider '%(resource_provider)s'. The requested amount would exceed "
               "the capacity.")


class InvalidAllocationConstraintsViolated(InvalidInventory):
    msg_fmt = ("Unable to create allocation for '%(resource_class)s' on resource "
               "provider '%(resource_provider)s'. The requested amount would violate "
               "inventory constraints.")
