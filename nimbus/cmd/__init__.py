"""The `nimbus` command."""
