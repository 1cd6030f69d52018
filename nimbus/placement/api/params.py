"""Parsing the query parameters placement shares: resources, required, member_of, in_tree."""

from __future__ import annotations

import uuid as uuidlib

from nimbus.common.api.app import Request
from nimbus.placement import errors as codes
from nimbus.placement.api.util import bad_request, want

EXAMPLE_RESOURCES = "?resources=VCPU:2,MEMORY_MB:1024"


def is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except (ValueError, AttributeError):
        return False
    return True


def resources(value: str) -> dict[str, int]:
    """``VCPU:2,MEMORY_MB:1024`` -> {"VCPU": 2, "MEMORY_MB": 1024}."""
    if value.strip() == "":
        raise bad_request("Badly formed resources parameter. Expected resources query "
                          f"string parameter in form: {EXAMPLE_RESOURCES}. Got: empty string.")
    result: dict[str, int] = {}
    for item in value.split(","):
        try:
            name, amount_text = item.split(":")
        except ValueError:
            raise bad_request("Badly formed resources parameter. Expected resources query "
                              f"string parameter in form: {EXAMPLE_RESOURCES}. Got: {item}.") from None
        try:
            amount = int(amount_text)
        except ValueError:
            raise bad_request(f"Requested resource {name} expected positive integer amount. "
                              f"Got: {amount_text}.") from None
        if amount < 1:
            raise bad_request(f"Requested resource {name} requires amount >= 1. Got: {amount}.")
        result[name] = amount
    return result


def _traits_value(value: str, allow_forbidden: bool,
                  allow_any: bool) -> tuple[list[set[str]], set[str]]:
    if value.startswith("in:"):
        if not allow_any:
            raise bad_request("Invalid query string parameters: The format "
                              "'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since "
                              f"microversion 1.39. Got: {value}")
        any_of = {part.strip() for part in value[3:].split(",")}
        if not all(any_of):
            raise bad_request("Invalid query string parameters: Expected 'required' parameter "
                              "value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an "
                              f"empty trait in: {value}")
        if any(t.startswith("!") for t in any_of):
            raise bad_request("Invalid query string parameters: The format "
                              "'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden "
                              f"traits. Got: {value}")
        return [any_of], set()
    names = [part.strip() for part in value.split(",")]
    # As upstream: any number of leading '!' forbid the trait.
    forbidden = {n.lstrip("!") for n in names if n.startswith("!")}
    if not all(names) or not all(forbidden):
        form = "HW_CPU_X86_VMX,!CUSTOM_MAGIC" if allow_forbidden else "HW_CPU_X86_VMX,CUSTOM_MAGIC"
        raise bad_request("Invalid query string parameters: Expected 'required' parameter "
                          f"value of the form: {form}. Got an empty trait in: {value}")
    if forbidden and not allow_forbidden:
        raise bad_request("Invalid query string parameters: Expected 'required' parameter "
                          f"value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {value}")
    return [{n} for n in names if not n.startswith("!")], forbidden


def required(req: Request, suffix: str = "") -> tuple[list[set[str]], set[str]]:
    """(required any-of sets, forbidden traits) of ``required<suffix>``."""
    values = req.query.getlist("required" + suffix)
    allow_any = want(req, "1.39")
    if not allow_any:
        values = values[-1:]  # before 1.39 only the last one counted
    required_sets: list[set[str]] = []
    forbidden: set[str] = set()
    for value in values:
        sets, nots = _traits_value(value, want(req, "1.22"), allow_any)
        required_sets += sets
        forbidden |= nots
    return required_sets, forbidden


def _member_of_value(value: str) -> tuple[set[str], set[str]]:
    if "," in value and not value.startswith(("in:", "!in:")):
        raise bad_request("Multiple values for 'member_of' must be prefixed with the 'in:' or "
                          f"'!in:' keyword using the valid microversion. Got: {value}")
    required_aggs: set[str] = set()
    forbidden: set[str] = set()
    if value.startswith("!in:"):
        forbidden = set(value[4:].split(","))
    elif value.startswith("!"):
        forbidden = {value[1:]}
    elif value.startswith("in:"):
        required_aggs = set(value[3:].split(","))
    else:
        required_aggs = {value}
    for agg in required_aggs | forbidden:
        if not is_uuid(agg):
            raise bad_request("Invalid query string parameters: Expected 'member_of' "
                              f"parameter to contain valid UUID(s). Got: {agg}")
    return required_aggs, forbidden


def member_of(req: Request, suffix: str = "") -> tuple[list[list[str]], list[str]]:
    """(required any-of aggregate lists, forbidden aggregates) of ``member_of<suffix>``."""
    values = req.query.getlist("member_of" + suffix)
    if not want(req, "1.24") and len(values) > 1:
        raise bad_request(f"Multiple member_of{suffix} parameters are not supported")
    required_aggs: list[list[str]] = []
    forbidden: set[str] = set()
    for value in values:
        needed, nots = _member_of_value(value)
        if needed:
            required_aggs.append(sorted(needed))
        if nots:
            if not want(req, "1.32"):
                raise bad_request(f"Forbidden member_of{suffix} parameters are not supported "
                                  "in the specified microversion")
            forbidden |= nots
    return required_aggs, sorted(forbidden)


def in_tree(value: str) -> str:
    stripped = value.strip()
    if not is_uuid(stripped):
        raise bad_request("Invalid query string parameters: Expected 'in_tree' parameter to "
                          f"be a format of uuid. Got: {value}")
    return stripped


def root_required(value: str) -> tuple[set[str], set[str]]:
    """(required, forbidden) traits of ``root_required``, which knows no ``in:``."""
    required_sets, forbidden = _traits_value(value, allow_forbidden=True, allow_any=False)
    required = set().union(*required_sets)
    conflicts = required & forbidden
    if conflicts:
        raise bad_request("Conflicting required and forbidden traits found in root_required: "
                          + ", ".join(sorted(conflicts)), codes.QUERYPARAM_BAD_VALUE)
    return required, forbidden
