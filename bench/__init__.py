"""Benchmarks of mailzone against its peer tools (``make bench``; see docs/bench.md)."""
