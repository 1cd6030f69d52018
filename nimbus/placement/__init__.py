"""Placement: what every resource provider has, uses, and where a request fits."""
