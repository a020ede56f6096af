"""The v2 (event) API."""
