"""Identity: a Keystone-compatible Identity v3 service."""
