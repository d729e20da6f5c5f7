"""``mailzone check --profile bulk-sender`` over NSD: each requirement, per sender.

One NSD serves the two providers' zones the domains authorise (their SPF records as
the catalogue holds them, SES's DKIM keys) and one zone of customer domains, each
built to meet the bar or to miss one requirement of it: DKIM, DMARC, alignment (a
MAIL FROM domain elsewhere), the SPF lookup limit.
"""

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
ZONE = "bulk.test"
OUTLOOK = catalogue.lookup("microsoft-365").spf_include
SES = catalogue.lookup("amazon-ses").spf_include
# Easy DKIM tokens look like this: 32 characters of base32.
TOKENS = tuple(c * 32 for c in "abc")
GONE = "d" * 32  # a token whose CNAME was never published
# The include's lookup and ten a: terms: eleven, over RFC 7208's ten.
OVER = f"v=spf1 include:{OUTLOOK} " + " ".join(f"a:h{i}.bulk.test" for i in range(10)) + " -all"


def _q(value: str) -> str:
    """A TXT value in zone-file form: character-strings of at most 255 octets."""
    return " ".join('"' + value[i:i + 255] + '"' for i in range(0, len(value), 255))


def _zones(directory: Path) -> None:
    key = rsa_public_key(2048, random.Random(7))
    dkim = _q(f"v=DKIM1; k=rsa; p={key}")
    def dmarc(label: str) -> str:
        return _q(f"v=DMARC1; p=none; rua=mailto:dmarc@{label}.{ZONE}")

    lines = [
        "mx A 192.0.2.25",
        *(f"{label} MX 10 mx.{ZONE}." for label in ("good", "nodkim", "nodmarc", "over", "ses",
                                                  "misaligned")),
        # Microsoft 365: mail goes out with the customer's own MAIL FROM.
        f"good TXT {_q(f'v=spf1 include:{OUTLOOK} -all')}",
        f"selector1._domainkey.good TXT {dkim}", f"_dmarc.good TXT {dmarc('good')}",
        f"nodkim TXT {_q(f'v=spf1 include:{OUTLOOK} -all')}",
        f"_dmarc.nodkim TXT {dmarc('nodkim')}",
        f"nodmarc TXT {_q(f'v=spf1 include:{OUTLOOK} -all')}",
        f"selector1._domainkey.nodmarc TXT {dkim}",
        f"over TXT {_q(OVER)}",
        f"selector1._domainkey.over TXT {dkim}", f"_dmarc.over TXT {dmarc('over')}",
        *(f"h{i} A 192.0.2.{i + 1}" for i in range(10)),
        # SES with a custom MAIL FROM domain and Easy DKIM: the bar met.
        f"ses TXT {_q(f'v=spf1 include:{SES} -all')}", f"_dmarc.ses TXT {dmarc('ses')}",
        f"bounce.ses TXT {_q(f'v=spf1 include:{SES} -all')}",
        "bounce.ses MX 10 feedback-smtp.eu-west-1.amazonses.com.",
        *(f"{t}._domainkey.ses CNAME {t}.dkim.amazonses.com." for t in TOKENS),
        # SES whose MAIL FROM is another organisation's and whose tokens are not published.
        f"misaligned TXT {_q(f'v=spf1 include:{SES} -all')}",
        f"_dmarc.misaligned TXT {dmarc('misaligned')}",
    ]
    zones = {
        ZONE: "\n".join(lines) + "\n",
        "example.net": f"bounce TXT {_q(f'v=spf1 include:{SES} -all')}\n"
                       "bounce MX 10 feedback-smtp.eu-west-1.amazonses.com.\n",
        "protection.outlook.com":
            f"spf TXT {_q(catalogue.lookup('microsoft-365').tree[OUTLOOK])}\n",
        "amazonses.com": (f"@ TXT {_q(catalogue.lookup('amazon-ses').tree[SES])}\n"
                          + "".join(f"{t}.dkim TXT {dkim}\n" for t in TOKENS)),
    }
    directory.mkdir()
    for zone, body in zones.items():
        (directory / f"{zone}.zone").write_text(f"$ORIGIN {zone}.\n$TTL 300\n{SOA}{body}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    base = tmp_path_factory.mktemp("bulk-sender")
    _zones(base / "zones")
    with NsdServer(base / "zones", base / "nsd") as nsd:
        yield nsd


LISTING = [
    "good.bulk.test", "nodkim.bulk.test", "nodmarc.bulk.test", "over.bulk.test",
    f"ses.bulk.test mail-from=bounce.ses.bulk.test dkim={','.join(TOKENS)}",
    f"misaligned.bulk.test mail-from=bounce.example.net dkim={GONE}",
]


def check(server: NsdServer, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(LISTING) + "\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", "--file", str(listing), "--nameserver", server.nameserver,
                       "--profile", "bulk-sender", "--format", "json", *extra])
    return status, {r["domain"]: r for r in json.loads(out.getvalue())["domains"]}


def bar(report: dict[str, Any]) -> dict[str, dict[str, bool | None]]:
    return {b["sender"]: {r["requirement"]: r["met"] for r in b["requirements"]}
            for b in report["bulk_sender"]}


def test_each_requirement_per_sender(server: NsdServer, tmp_path: Path) -> None:
    status, reports = check(server, tmp_path)
    assert status == 1  # some sender misses the bar
    met = {"spf": True, "dkim": True, "dmarc": True, "alignment": True}
    assert bar(reports["good.bulk.test"]) == {"microsoft-365": met}
    assert bar(reports["ses.bulk.test"]) == {"amazon-ses": met}
    assert bar(reports["nodkim.bulk.test"]) == {"microsoft-365": {**met, "dkim": False}}
    assert bar(reports["nodmarc.bulk.test"]) == {"microsoft-365": {**met, "dmarc": False}}
    assert bar(reports["over.bulk.test"]) == {"microsoft-365": {**met, "spf": False}}
    # SPF passes at bounce.example.net, another organisation's: no SPF alignment, and no
    # key at the token given: no DKIM alignment either.
    assert bar(reports["misaligned.bulk.test"]) == {
        "amazon-ses": {**met, "dkim": False, "alignment": False}}
    for domain in ("good.bulk.test", "ses.bulk.test"):
        assert "bulk-sender-unmet" not in {f["code"] for f in reports[domain]["findings"]}
    unmet = [f for f in reports["misaligned.bulk.test"]["findings"]
             if f["code"] == "bulk-sender-unmet"]
    assert len(unmet) == 1 and "alignment not met" in unmet[0]["message"]
    requirement = reports["good.bulk.test"]["bulk_sender"][0]["requirements"][0]
    assert requirement["source"].startswith("Google and Yahoo")


def test_the_profile_passes_for_senders_that_meet_it(server: NsdServer, tmp_path: Path) -> None:
    listing = tmp_path / "good.txt"
    listing.write_text("good.bulk.test\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", "--file", str(listing), "--nameserver", server.nameserver,
                       "--profile", "bulk-sender", "--format", "text"])
    assert status == 0, out.getvalue()
    assert "bulk-sender bar" in out.getvalue() and "Microsoft 365" in out.getvalue()


def test_without_the_profile_nothing_is_judged_against_the_bar(server: NsdServer,
                                                               tmp_path: Path) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("nodkim.bulk.test\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", "--file", str(listing), "--nameserver", server.nameserver,
              "--format", "json"])
    (report,) = json.loads(out.getvalue())["domains"]
    assert "bulk_sender" not in report
    assert "bulk-sender-unmet" not in {f["code"] for f in report["findings"]}
