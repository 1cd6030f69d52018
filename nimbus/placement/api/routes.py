"""The placement route table: path -> {method: handler}.

As upstream, no pattern constrains path parameters: a malformed uuid reaches
its handler, which answers with a 404 or 400 that says why.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from nimbus.common.api.app import Request
from nimbus.placement.api.handlers import (
    aggregates,
    allocations,
    candidates,
    inventories,
    providers,
    reshaper,
    resource_classes,
    root,
    traits,
    usages,
)

Handler = Callable[[Request], Response]

_RP = "/resource_providers/{uuid}"

ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": root.home},
    "/resource_classes": {
        "GET": resource_classes.list_resource_classes,
        "POST": resource_classes.create_resource_class,
    },
    "/resource_classes/{name}": {
        "GET": resource_classes.show_resource_class,
        "PUT": resource_classes.update_resource_class,
        "DELETE": resource_classes.delete_resource_class,
    },
    "/resource_providers": {
        "GET": providers.list_resource_providers,
        "POST": providers.create_resource_provider,
    },
    _RP: {
        "GET": providers.show_resource_provider,
        "PUT": providers.update_resource_provider,
        "DELETE": providers.delete_resource_provider,
    },
    _RP + "/inventories": {
        "GET": inventories.list_inventories,
        "POST": inventories.create_inventory,
        "PUT": inventories.replace_inventories,
        "DELETE": inventories.delete_inventories,
    },
    _RP + "/inventories/{resource_class}": {
        "GET": inventories.show_inventory,
        "PUT": inventories.update_inventory,
        "DELETE": inventories.delete_inventory,
    },
    _RP + "/usages": {"GET": usages.provider_usages},
    _RP + "/aggregates": {"GET": aggregates.list_aggregates, "PUT": aggregates.set_aggregates},
    _RP + "/allocations": {"GET": allocations.provider_allocations},
    _RP + "/traits": {
        "GET": traits.list_provider_traits,
        "PUT": traits.update_provider_traits,
        "DELETE": traits.delete_provider_traits,
    },
    "/allocation_candidates": {"GET": candidates.list_allocation_candidates},
    "/allocations": {"POST": allocations.post_allocations},
    "/allocations/{consumer_uuid}": {
        "GET": allocations.consumer_allocations,
        "PUT": allocations.put_allocations,
        "DELETE": allocations.delete_allocations,
    },
    "/reshaper": {"POST": reshaper.reshape},
    "/traits": {"GET": traits.list_traits},
    "/traits/{name}": {
        "GET": traits.show_trait,
        "PUT": traits.put_trait,
        "DELETE": traits.delete_trait,
    },
    "/usages": {"GET": usages.total_usages},
}
