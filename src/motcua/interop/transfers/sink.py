"""Transfer status sink (filled by its part)."""
