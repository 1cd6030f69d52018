"""Nimbus: an OpenStack-compatible compute cloud in one Python package."""

__version__ = "0.1.0"
