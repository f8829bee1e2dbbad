"""Demo data of the registry: the source paper's patients as plain Python (``paper``)."""
