"""The built-in scheduler weighers, each registered as an entry point."""
