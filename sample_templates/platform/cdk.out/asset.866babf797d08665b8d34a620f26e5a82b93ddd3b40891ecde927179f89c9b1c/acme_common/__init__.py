"""Helpers shared by the platform's functions (vendored into each bundle)."""
