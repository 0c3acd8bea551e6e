"""The built-in YAML policy pack (installed as the package data ``cfncheck.policies``)."""
