"""The DKIM area's judge: a pure function of the key record's answer."""

from __future__ import annotations

import base64
import random

import pytest

from mailzone.audit.dkim import judge_key
from mailzone.audit.model import DkimFacts, DkimStatus
from mailzone.dns.resolver import Answer, RdType
from tests.internet.generate import rsa_public_key

NAME = "s1._domainkey.example.com"


def judge(*records: str, nxdomain: bool = False) -> tuple[DkimFacts, list[str]]:
    facts = DkimFacts("s1", NAME)
    found = judge_key(facts, Answer(NAME, RdType.TXT, records, nxdomain=nxdomain))
    return facts, [f.code for f in found]


def test_a_2048_bit_key_is_fine() -> None:
    facts, codes = judge(f"v=DKIM1; k=rsa; p={rsa_public_key(2048, random.Random(1))}")
    assert (facts.status, facts.key_type, facts.key_bits, codes) == (
        DkimStatus.OK, "rsa", 2048, [])


@pytest.mark.parametrize(("records", "status", "codes"), [
    ((), DkimStatus.MISSING, ["dkim-missing"]),
    (("v=DKIM1; p=AAAA", "v=DKIM1; p=BBBB"), DkimStatus.MULTIPLE, ["dkim-multiple"]),
    (("k=rsa; v=DKIM1; p=AAAA",), DkimStatus.SYNTAX, ["dkim-syntax"]),
    (("v=DKIM1; k=rsa; p=",), DkimStatus.REVOKED, ["dkim-revoked"]),
    (("v=DKIM1; k=dsa; p=AAAA",), DkimStatus.SYNTAX, ["dkim-key-type"]),
    ((f"v=DKIM1; k=ed25519; p={base64.b64encode(bytes(32)).decode()}",), DkimStatus.OK, []),
])
def test_each_verdict(records: tuple[str, ...], status: DkimStatus, codes: list[str]) -> None:
    facts, found = judge(*records)
    assert (facts.status, found) == (status, codes)


def test_weak_keys_testing_and_sha1() -> None:
    _, codes = judge(f"v=DKIM1; p={rsa_public_key(1024, random.Random(2))}; t=y; h=sha1")
    assert codes == ["dkim-weak-key", "dkim-testing", "dkim-sha1"]
