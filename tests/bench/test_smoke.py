"""A smoke run of every benchmark at a tiny size (``bench/run.py --smoke``).

The benchmarks themselves are ``make bench``; this only checks that each one
runs end to end (NSD on port 53 of a loopback address, the peers in
``bench/.venv``, the policy pack over gRPC, the plan of both tools, the
start-up probes) and writes its table. The peers are installed into
``bench/.venv`` the first time (about 20 s from PyPI) and reused after.
No figure is asserted: performance goals live in the benchmarks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Stat, pairwise

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=280, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.startswith("# Benchmark results (smoke run")
    for benchmark in ("1. Live audit", "2. SPF evaluation", "3. Policy pack", "3b. Mixed stack",
                      "4. Plan", "5. Start-up"):
        assert f"| {benchmark} |" in text
    data = json.loads((tmp_path / "results.json").read_text())
    sections = {s["name"]: s for s in data["sections"]}
    audit = sections["Live audit"]["raw"]
    # Both tools audited the same domains over the same NSD, and NSD counted their queries.
    assert audit["ours_queries"][0] > 0 and audit["peer_queries"][0] > 0
    assert audit["ours_summary"]["domains"] == audit["domains"]
    spf = sections["SPF evaluation"]["raw"]
    assert spf["disagreements"] == 0, spf["disagreement_kinds"]
    assert spf["rfc7208_cases"] == 203
    assert audit["floor"]["questions"] > 0
    plan = sections["Plan"]["raw"]
    # The two tools see the same changes in the same scenario.
    assert plan["ours_changes"]["create"] == plan["peer_changes"]["Create"]
    assert plan["ours_changes"]["update"] == plan["peer_changes"]["Update"]
    # The smoke size (80 resources) includes the one SPF record that hard-codes an address.
    assert sections["Policy pack"]["raw"]["violations"] > 0
    mixed = sections["Policy pack, mixed stack"]["raw"]
    assert mixed["planted"] > 0 and mixed["missed"] == 0 and mixed["false_positives"] == 0
    # A smoke run never overwrites the committed results.
    assert (results.read_bytes() if results.exists() else None) == before


def test_ratios_are_taken_pair_by_pair() -> None:
    ratio = pairwise([2.0, 9.0, 4.0], [1.0, 3.0, 1.0])
    assert ratio.values == (2.0, 3.0, 4.0)
    assert ratio.median == 3.0
    stat = Stat.of([1.0, 2.0, 4.0])
    assert (stat.low, stat.median, stat.high) == (1.0, 2.0, 4.0)
    assert stat.show(" s") == "2.00 s (1.00-4.00, n=3)"
