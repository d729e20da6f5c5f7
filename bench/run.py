"""Benchmarks of mailzone against its peers, on one machine, in one run: ``make bench``.

    .venv/bin/python bench/run.py [--only NAME,...] [--runs N] [--no-peers]
                                  [--smoke] [--output FILE] [--work DIR]

1. live audit (``mailzone check`` / checkdmarc, over NSD on loopback port 53);
2. SPF evaluation (``check_host()`` / pyspf, in memory);
3. policy pack (``Analyze`` / ``AnalyzeStack`` over gRPC, start-up);
4. plan (``mailzone plan`` / ``octodns-sync`` dry run, from files);
5. start-up (``mailzone --help``, ``mailzone spf lint``).

The peers are installed on first use into ``bench/.venv`` from
``bench/requirements.txt`` (``bench/peers.py``). The results are written as a
Markdown table with the machine, the date and the commit to
``bench/RESULTS.md`` (``--output``), and every raw figure to
``<work>/results.json``. ``--smoke`` runs each benchmark once at a tiny size
and writes under the work directory only: ``make test`` runs it
(``tests/bench/``). Targets missed are reported, never fatal: the exit status
is 0 when every benchmark ran.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import peers, report  # noqa: E402
from bench.common import BENCH, Section, Settings, log  # noqa: E402

NAMES = ("audit", "spf", "policy", "policy-mixed", "plan", "startup")


def _benchmarks() -> dict[str, Callable[[Settings], Section]]:
    from bench import b_audit, b_plan, b_policy, b_policy_mixed, b_spf, b_startup

    return {"audit": b_audit.run, "spf": b_spf.run, "policy": b_policy.run,
            "policy-mixed": b_policy_mixed.run, "plan": b_plan.run, "startup": b_startup.run}


def smoke_settings(settings: Settings) -> Settings:
    """Every benchmark once, at a size that takes a second or two."""
    return replace(settings, audit_domains=6, spf_pairs=300, spf_domains=36,
                   policy_resources=80, plan_domains=10, runs=1, audit_runs=1, warmup=0,
                   startup_runs=1, smoke=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(NAMES),
                        help=f"comma-separated benchmarks to run (default: {','.join(NAMES)})")
    parser.add_argument("--runs", type=int, default=None,
                        help="measured runs per figure (default 5; the live audit 3)")
    parser.add_argument("--no-peers", action="store_true",
                        help="measure mailzone only (no peers installed, no ratios)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one run each: checks that every benchmark works")
    parser.add_argument("--work", type=Path, default=BENCH / ".work",
                        help="scratch directory for zones, lists and outputs "
                        "(default bench/.work)")
    parser.add_argument("--output", type=Path, default=None,
                        help="the results file (default bench/RESULTS.md; with --smoke, "
                        "<work>/RESULTS.md)")
    parser.add_argument("--peers-venv", type=Path, default=peers.DEFAULT_VENV,
                        help="the peers' virtual environment (default bench/.venv)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    selected = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(NAMES))
    if unknown:
        print(f"bench/run.py: unknown benchmarks {unknown}; known: {', '.join(NAMES)}",
              file=sys.stderr)
        return 2
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    peers_python = None if args.no_peers else peers.ensure(args.peers_venv)
    settings = Settings(work=work, peers_python=peers_python)
    if args.smoke:
        settings = smoke_settings(settings)
    if args.runs is not None:
        settings = replace(settings, runs=args.runs, audit_runs=args.runs)
    output = args.output or (work / "RESULTS.md" if args.smoke else BENCH / "RESULTS.md")

    _compile_sources()
    machine = report.machine()
    started = time.time()
    sections: list[Section] = []
    benchmarks = _benchmarks()
    for name in selected:
        log(f"== {name}")
        sections.append(benchmarks[name](settings))
    machine["load_after"] = report.load_average()
    elapsed = time.time() - started
    text = report.markdown(sections, settings, machine, elapsed)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    (work / "results.json").write_text(json.dumps({
        "machine": machine, "settings": {k: str(v) for k, v in asdict(settings).items()},
        "sections": [{"name": s.name, "rows": [asdict(r) for r in s.rows], "notes": s.notes,
                      "raw": s.raw} for s in sections],
    }, indent=1, default=str))
    print(text)
    log(f"wrote {output} in {elapsed:.0f} s")
    return 0


def _compile_sources() -> None:
    """The project's modules compiled to bytecode, as an installed package has them.

    pip compiles a package's modules when it installs it (the peers' are); an editable
    install leaves that to the first import, which cannot write them where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on CI machines): every run of the CLI would
    then compile its modules from source, a cost no installed tool pays.
    """
    import compileall

    for package in ("mailzone", "policies", "components"):
        compileall.compile_dir(ROOT / package, quiet=1)


if __name__ == "__main__":
    sys.exit(main())
