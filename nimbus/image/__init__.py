"""Image service (Glance Image v2 compatible)."""
