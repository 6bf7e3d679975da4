"""Safeguard's benchmarks (``make bench``): results go to ``benchmarks/results.md``."""
