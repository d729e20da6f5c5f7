"""Benchmarks of mailzone against its peer tools (``make bench``; see bench/README.md)."""
