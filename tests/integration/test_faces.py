"""One verdict whichever face asks: the same published records judged by every face.

NSD serves the zone; ``mailzone check`` asks it live, ``mailzone plan --live`` plans
a stack against it, and ``mailzone plan --zones`` reads the same zone files. What
counts as a DMARC record is one function (``mailzone.mail.dmarc.is_dmarc_record``),
so the faces cannot disagree on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailzone.cli.main import main
from mailzone.mail.dmarc import is_dmarc_record, validate_dmarc
from tests.conftest import StartNsd
from tests.unit.plan.fixtures import zone, zone_dir

pytestmark = pytest.mark.slow

# (published _dmarc TXT value, whether receivers take it as a DMARC record)
DMARC_TEXTS = [
    ("v=DMARC1; p=reject; rua=mailto:dmarc@example.org", True),
    ("v = DMARC1; p=reject; rua=mailto:dmarc@example.org", True),  # RFC 7489 6.4: *WSP
    (" v=DMARC1; p=reject; rua=mailto:dmarc@example.org", False),  # 6.6.3: must start v=
    ("v=DMARC10; p=reject; rua=mailto:dmarc@example.org", False),  # not the version
    ("v=dmarc1; p=reject; rua=mailto:dmarc@example.org", False),  # %x44.4d.41.52.43.31
]


def _world(tmp_path: Path, text: str) -> Path:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return zone_dir(tmp_path / "zones", {"example.org": zone(
        "example.org", '@ TXT "v=spf1 -all"', "@ MX 0 .", f'_dmarc TXT "{quoted}"')})


def _stack(tmp_path: Path, *, dmarc: bool) -> Path:
    domain: dict[str, Any] = {"domain": "example.org", "dns": {"provider": "route53"},
                              "spfAll": "-all"}
    if dmarc:
        domain["dmarc"] = {"policy": "reject", "rua": ["mailto:dmarc@example.org"]}
    path = tmp_path / ("Pulumi.managed.yaml" if dmarc else "Pulumi.published.yaml")
    path.write_text(yaml.safe_dump({"config": {"mailzone:domains": [domain]}}))
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status = main([*argv, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def _codes(plan: dict[str, Any]) -> set[str]:
    return {f["code"] for d in plan["domains"] for f in d["findings"]}


@pytest.mark.parametrize(("text", "is_record"), DMARC_TEXTS)
def test_plan_and_check_agree_on_what_a_dmarc_record_is(
        text: str, is_record: bool, nsd_factory: StartNsd, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert is_dmarc_record(text) is is_record
    zones = _world(tmp_path, text)
    server = nsd_factory(zones)

    status, checked = _json(capsys, "check", "example.org", "--nameserver", server.nameserver)
    (report,) = checked["domains"]
    codes = {f["code"] for f in report["findings"]}
    if is_record:
        assert report["dmarc"]["status"] == "ok", report["dmarc"]
        assert report["dmarc"]["policy"] == "reject"
        assert "dmarc-missing" not in codes
        assert status == 0, report["findings"]
    else:
        # Receivers discard it: the domain has no DMARC policy at all.
        assert report["dmarc"]["status"] == "missing", report["dmarc"]
        assert report["dmarc"]["policy"] is None
        assert "dmarc-missing" in codes
        assert status == 1

    # The stack leaves _dmarc alone: plan reads the published record as check does.
    for source in (("--zones", str(zones)), ("--live", "--nameserver", server.nameserver)):
        _, plan = _json(capsys, "plan", "--stack", str(_stack(tmp_path, dmarc=False)),
                        "--no-lock", *source)
        assert ("dmarc-missing" in _codes(plan)) is not is_record, (source, _codes(plan))

    # The stack manages _dmarc (Route 53 writes the whole set): a published DMARC record
    # is kept or replaced; a value receivers do not take as one is another value, and would be lost.
    _, plan = _json(capsys, "plan", "--stack", str(_stack(tmp_path, dmarc=True)), "--no-lock",
                    "--zones", str(zones))
    (dmarc,) = [r for d in plan["domains"] for r in d["records"] if r["key"] == "dmarc"]
    published = next(v for v in dmarc["values"] if v["value"] == text)
    expected = ({"unchanged", "remove"} if is_record else {"lost"})
    assert published["status"] in expected, dmarc["values"]
    assert ("plan-value-lost" in _codes(plan)) is not is_record

    # The components (and the pack's dmarc-valid) refuse to write what is not a record.
    refused = [f.code for f in validate_dmarc(text, "example.org") if f.is_error]
    assert refused == ([] if is_record else ["dmarc-syntax"])
