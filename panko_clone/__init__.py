"""panko_clone: a drop-in reimplementation of OpenStack Panko's v2 API."""
