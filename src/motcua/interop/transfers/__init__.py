"""Placeholder, filled by its part."""
