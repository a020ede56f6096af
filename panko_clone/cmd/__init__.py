"""Command-line entry points (see ``[options.entry_points]``)."""
