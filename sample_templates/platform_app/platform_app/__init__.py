"""Platform sample app: network/compute, data, API, delivery and events stacks per stage."""
