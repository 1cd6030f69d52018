"""Compute API handlers, one module per resource family."""
