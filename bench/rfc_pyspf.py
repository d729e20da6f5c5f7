"""pyspf over the RFC 7208 test suite, with pyspf's own test driver (peers' Python).

    bench/.venv/bin/python bench/rfc_pyspf.py PYSPF-SDIST.tar.gz SUITE.yml OUT.json

The driver is ``test/testspf.py`` of the same pyspf source distribution the
suite comes from: its ``DNSLookup`` answers from each scenario's zone data and
its ``runTest`` evaluates a case; this repeats what ``runTest`` does and writes
each case's result and explanation instead of asserting.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tarfile
import tempfile
from pathlib import Path

DRIVER = "pyspf-2.0.14/test/testspf.py"
OLD_RESULTS = {"unknown": "permerror", "error": "temperror"}


def main() -> int:
    sdist, suite, out = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as tar:
        member = tar.extractfile(DRIVER)
        assert member is not None, f"{DRIVER} missing from {sdist}"
        path = Path(tmp) / "testspf.py"
        path.write_bytes(member.read())
        spec = importlib.util.spec_from_file_location("testspf", path)
        assert spec is not None and spec.loader is not None
        driver = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(driver)
    import spf  # type: ignore[import-not-found]  # the peers' environment

    results = {}
    for name, test in driver.loadYAML(suite).items():
        driver.zonedata = test.scenario.zonedata
        query = spf.query(i=test.host, s=test.mailfrom, h=test.helo, strict=test.strict)
        query.set_default_explanation("DEFAULT")
        result, _, explanation = query.check()
        results[name] = [OLD_RESULTS.get(result, result), explanation]
    Path(out).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
