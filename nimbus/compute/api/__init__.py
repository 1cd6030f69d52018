"""The HTTP side of the compute service."""
