"""DMARC over NSD: the RFC 9989 tree walk, counted, and a corpus of records judged live.

One NSD serves a small multi-level zone set: the top-level zone ``test`` itself (so
the last step of the walk gets an answer), an organisational domain with names five
and more labels deep, a ``psd=n`` split, a public suffix (``psd=y``), and a corpus
zone with one domain per DMARC record. The walk's queries are counted by NSD's own
counter; the corpus is audited by ``mailzone check`` and held to
``mailzone.mail.dmarc`` record by record.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailzone.cli.main import main
from mailzone.dns.exchange import run_async
from mailzone.dns.live import LiveResolver
from mailzone.errors import DmarcSyntaxError
from mailzone.mail.discovery import MAX_WALK_QUERIES, Discovery, discover
from mailzone.mail.dmarc import Policy, parse_dmarc
from tests.integration.cross_face_corpus import dmarc_texts
from tests.nsd import NsdServer

pytestmark = pytest.mark.slow

SOA = ("@ SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 300\n"
       "@ NS ns1.example.org.\n")
WALK = "walk.test"
CORPUS = "corpus.test"
DEEP = f"a.b.c.d.e.{WALK}"  # 7 labels: the walk asks it, then d.e.walk.test (four labels)


def _txt(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def corpus_texts() -> list[str]:
    """At least 100 DMARC values: every tag, the historic ones, bad tags, missing p=,
    t=y, np, psd, and values that are no record at all."""
    texts = [text for _, text in dmarc_texts("{d}")]
    for policy in ("", "p=none; ", "p=quarantine; ", "p=reject; ", "p=bogus; "):
        for extra in ("", "sp=none; ", "np=reject; ", "np=oops; ", "t=y; ", "t=n; ",
                      "pct=50; ", "pct=150; ", "psd=n; ", "psd=y; ", "rf=afrf; ri=3600; ",
                      "foo=bar; ", "adkim=s; aspf=s; ", "fo=1:d; ", "sp=quarantine; np=none; ",
                      "t=y; np=reject; "):
            texts.append(f"v=DMARC1; {policy}{extra}rua=mailto:dmarc@{{d}}")
    return list(dict.fromkeys(texts))


def _zones(directory: Path, texts: list[str]) -> None:
    directory.mkdir()
    zones = {
        "test": "",
        WALK: (f"_dmarc TXT {_txt('v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@walk.test')}\n"
               # Five labels up from DEEP's seven: the walk never reads it.
               f"_dmarc.c.d.e TXT {_txt('v=DMARC1; p=none')}\n"
               f"_dmarc.shop TXT {_txt('v=DMARC1; p=reject; psd=n')}\n"
               f"{DEEP}. TXT \"v=spf1 -all\"\n"
               "a.shop TXT \"v=spf1 -all\"\n"),
        "suffix.test": f"_dmarc TXT {_txt('v=DMARC1; p=reject; np=reject; psd=y')}\n"
                       "brand TXT \"v=spf1 -all\"\nmail.brand TXT \"v=spf1 -all\"\n",
        CORPUS: "".join(
            f"d{n:03d} TXT \"v=spf1 -all\"\nd{n:03d} MX 0 .\n"
            f"_dmarc.d{n:03d} TXT {_txt(text.replace('{d}', f'd{n:03d}.{CORPUS}'))}\n"
            for n, text in enumerate(texts)),
    }
    for zone, body in zones.items():
        (directory / f"{zone}.zone").write_text(f"$ORIGIN {zone}.\n$TTL 300\n{SOA}{body}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    base = tmp_path_factory.mktemp("dmarc-walk")
    _zones(base / "zones", corpus_texts())
    with NsdServer(base / "zones", base / "nsd") as nsd:
        yield nsd


def walk_live(server: NsdServer, domain: str) -> tuple[Discovery, int]:
    """The walk from ``domain`` through a fresh resolver, and the queries NSD received."""
    before = server.query_count()
    resolver = LiveResolver(nameserver=server.nameserver, timeout=2.0)
    found = asyncio.run(run_async(discover(domain), resolver))
    return found, server.query_count() - before


def test_a_deep_name_asks_five_names_and_skips_those_the_rfc_skips(server: NsdServer) -> None:
    found, queries = walk_live(server, DEEP)
    assert queries == MAX_WALK_QUERIES == len(found.levels)
    assert [level.domain for level in found.levels] == [
        DEEP, f"d.e.{WALK}", f"e.{WALK}", WALK, "test"]
    # The record at c.d.e.walk.test (p=none) is never read: walk.test's sp= applies.
    assert found.source == WALK and found.inherited
    assert found.policy() is Policy.QUARANTINE
    assert found.organisation == WALK


def test_organisational_domains_over_the_wire(server: NsdServer) -> None:
    split, queries = walk_live(server, f"a.shop.{WALK}")
    assert queries == 4  # a.shop.walk.test, shop.walk.test, walk.test, test
    assert split.organisation == f"shop.{WALK}" and split.source == f"shop.{WALK}"
    suffix, _ = walk_live(server, "mail.brand.suffix.test")
    assert suffix.organisation == "brand.suffix.test"
    assert suffix.source == "suffix.test" and suffix.policy(exists=False) is Policy.REJECT


def _check(server: NsdServer, domains: list[str], tmp_path: Path) -> dict[str, Any]:
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(domains) + "\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", "--file", str(listing), "--nameserver", server.nameserver,
              "--format", "json"])
    return {report["domain"]: report for report in json.loads(out.getvalue())["domains"]}


def test_check_gets_the_policy_the_dmarc_module_reads(server: NsdServer, tmp_path: Path) -> None:
    texts = corpus_texts()
    assert len(texts) >= 100
    domains = [f"d{n:03d}.{CORPUS}" for n in range(len(texts))]
    reports = _check(server, domains, tmp_path)
    mismatches = []
    for domain, text in zip(domains, texts, strict=True):
        value = text.replace("{d}", domain)
        dmarc = reports[domain]["dmarc"]
        codes = {f["code"] for f in reports[domain]["findings"]}
        try:
            record = parse_dmarc(value)
        except DmarcSyntaxError:
            expected: dict[str, Any] = {"status": "missing", "applied_policy": None}
        else:
            expected = {"status": "not-applied" if not record.applies
                        else "syntax" if record.problems else "ok",
                        # RFC 9989: no valid p= and no rua= is no DMARC at all.
                        "applied_policy": (record.policy_for(subdomain=False).value
                                           if record.applies else None),
                        "testing": record.in_testing,
                        "nonexistent_policy": (record.nonexistent_policy.value
                                               if record.nonexistent_policy
                                               and record.policy_valid else None)}
            if record.historic and "dmarc-historic-tag" not in codes:
                mismatches.append((value, "no dmarc-historic-tag"))
            if record.problems and "dmarc-syntax" not in codes:
                mismatches.append((value, "no dmarc-syntax"))
        got = {key: dmarc[key] for key in expected}
        if got != expected:
            mismatches.append((value, f"check {got} vs module {expected}"))
    assert mismatches == []
