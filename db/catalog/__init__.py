"""Catalog files (YAML): validate everything first, then apply all of it at once."""

from db.catalog.importer import ImportSummary, import_catalog
from db.catalog.reader import CatalogError, CatalogProblem, read_catalog

__all__ = ["CatalogError", "CatalogProblem", "ImportSummary", "import_catalog", "read_catalog"]
