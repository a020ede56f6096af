"""The HTTP API: paste pipelines, pecan app and controllers."""
