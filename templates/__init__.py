"""The digest's Jinja2 templates, shipped as package data and loaded with jinja2.PackageLoader."""
