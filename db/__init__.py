"""Shared database: schema, migrations, queries and the catalog loader.

Imports neither ``bot`` nor ``digest``: both depend on it, never the other way.
"""
