"""Data files shipped with cfncheck (e.g. the peer-suppression mapping)."""
