"""What the compute API does with servers, beyond HTTP: finding them across
cells, booting, deleting, acting on them (Nova's compute/api.py, split by
family). Handlers call these; these call the databases, the conductor and
the agents."""
