"""Benchmarks of the engine against the naive baseline (``penwright-cli bench``)."""
