"""JSON Schemas of compute request bodies and query strings, per microversion."""
