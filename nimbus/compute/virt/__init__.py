"""Virt drivers: what an agent drives to run instances on its host."""
