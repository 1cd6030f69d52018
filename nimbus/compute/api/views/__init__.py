"""Response bodies of the compute API, per microversion."""
