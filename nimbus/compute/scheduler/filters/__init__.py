"""The built-in scheduler filters, each registered as an entry point."""
