"""The compute agent: one per host, driving a virt driver, holding no database credentials."""
