"""Benchmarks of mailzone against its peer tools (``make bench``; see the README, Benchmarks)."""
