"""Ceilometer publishers that feed events into panko_clone."""
