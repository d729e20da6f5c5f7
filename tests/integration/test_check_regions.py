"""``mailzone check --stack`` for SES in two regions, over NSD: every region's MAIL FROM
domain is checked, and a token's CNAME into the wrong region's Easy DKIM zone is found."""

from __future__ import annotations

import contextlib
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailzone.cli.main import main
from mailzone.mail import catalogue
from tests.internet.generate import rsa_public_key
from tests.nsd import NsdServer

pytestmark = pytest.mark.slow

SOA = ("@ SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 300\n"
       "@ NS ns1.example.org.\n")
SES = catalogue.lookup("amazon-ses").spf_include
EU, AF = "e" * 32, "f" * 32  # one token in each region's zone
WRONG = "w" * 32  # the af-south-1 identity's token, but pointed at the shared zone

STACK = """config:
  aws:region: eu-west-1
  mailzone:domains:
    - domain: regions.test
      dns: {provider: route53}
      senders: [amazon-ses]
      dmarc: {policy: reject, rua: ["mailto:dmarc@regions.test"]}
      ses:
        regions:
          - {region: eu-west-1, mailFromSubdomain: bounce-eu}
          - {region: af-south-1, mailFromSubdomain: bounce-af}
"""


def _q(value: str) -> str:
    return " ".join('"' + value[i:i + 255] + '"' for i in range(0, len(value), 255))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    base = tmp_path_factory.mktemp("regions")
    key = _q(f"v=DKIM1; k=rsa; p={rsa_public_key(2048, random.Random(3))}")
    spf = _q(f"v=spf1 include:{SES} -all")
    zones = {
        "regions.test": "\n".join([
            f"@ TXT {spf}", "@ MX 10 mx.regions.test.", "mx A 192.0.2.25",
            f"_dmarc TXT {_q('v=DMARC1; p=reject; rua=mailto:dmarc@regions.test')}",
            f"bounce-eu TXT {spf}", "bounce-eu MX 10 feedback-smtp.eu-west-1.amazonses.com.",
            # The second region's MAIL FROM domain has no MX: bounces would be lost.
            f"bounce-af TXT {spf}",
            f"{EU}._domainkey CNAME {EU}.dkim.amazonses.com.",
            f"{AF}._domainkey CNAME {AF}.dkim.af-south-1.amazonses.com.",
            f"{WRONG}._domainkey CNAME {WRONG}.dkim.amazonses.com.",
        ]) + "\n",
        "amazonses.com": (f"@ TXT {_q(catalogue.lookup('amazon-ses').tree[SES])}\n"
                          f"{EU}.dkim TXT {key}\n{WRONG}.dkim TXT {key}\n"
                          f"{AF}.dkim.af-south-1 TXT {key}\n"
                          "feedback-smtp.eu-west-1 A 192.0.2.10\n"),
    }
    (base / "zones").mkdir()
    for zone, body in zones.items():
        (base / "zones" / f"{zone}.zone").write_text(f"$ORIGIN {zone}.\n$TTL 300\n{SOA}{body}")
    with NsdServer(base / "zones", base / "nsd") as nsd:
        yield nsd


def check(server: NsdServer, tmp_path: Path, *tokens: str) -> tuple[int, dict[str, Any]]:
    stack = tmp_path / "Pulumi.regions.yaml"
    stack.write_text(STACK)
    out = io.StringIO()
    argv = ["check", "--stack", str(stack), "--nameserver", server.nameserver,
            "--format", "json"]
    for token in tokens:
        argv += ["--dkim-selector", token]
    with contextlib.redirect_stdout(out):
        status = main(argv)
    (report,) = json.loads(out.getvalue())["domains"]
    return status, report


def test_every_region_s_mail_from_domain_is_checked(server: NsdServer, tmp_path: Path) -> None:
    status, report = check(server, tmp_path, EU, AF)
    assert report["mail_from"]["domain"] == "bounce-eu.regions.test"
    (more,) = report["more_mail_from"]
    assert more["domain"] == "bounce-af.regions.test" and more["mx"]["status"] == "missing"
    codes = {(f["code"], f["where"]) for f in report["findings"]}
    assert ("mx-mail-from-missing", "bounce-af.regions.test") in codes
    assert not any(code == "ses-dkim-missing" for code, _ in codes)
    assert status == 1


def test_a_cname_into_another_region_s_zone_is_found(server: NsdServer, tmp_path: Path) -> None:
    _, report = check(server, tmp_path, EU, WRONG)
    wrong = [f for f in report["findings"] if f["code"] == "ses-dkim-missing"]
    # EU's CNAME into the shared zone is eu-west-1's; WRONG's is also the shared zone,
    # which eu-west-1 uses: only a zone that is no region's of the stack is refused.
    assert wrong == []
    stack_af_only = STACK.replace("          - {region: eu-west-1, mailFromSubdomain: bounce-eu}\n",
                                  "")
    (tmp_path / "af").mkdir()
    stack = tmp_path / "af" / "Pulumi.af.yaml"
    stack.write_text(stack_af_only)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", "--stack", str(stack), "--nameserver", server.nameserver,
              "--format", "json", "--dkim-selector", AF, "--dkim-selector", WRONG])
    (report,) = json.loads(out.getvalue())["domains"]
    (finding,) = [f for f in report["findings"] if f["code"] == "ses-dkim-missing"]
    assert finding["where"] == f"{WRONG}._domainkey.regions.test"
    assert "dkim.af-south-1.amazonses.com" in finding["message"]
