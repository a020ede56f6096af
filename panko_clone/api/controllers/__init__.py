"""Pecan controllers, one module per resource."""
