"""Objects the compute services send each other over RPC: instances, flavors,
images, request specs, scheduler selections, migrations.

They only carry data (no remotable methods): the conductor does every
database write, the agents ask it to.
"""
