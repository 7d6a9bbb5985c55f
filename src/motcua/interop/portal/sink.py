"""National portal sink (filled by its part)."""
