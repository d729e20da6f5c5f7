"""The provider table: every provider a config may name has its module, found by type."""

from __future__ import annotations

import pytest

from mailzone.providers import (
    PROVIDERS,
    READERS,
    RECORD_TYPES,
    ZONE_TYPES,
    DnsProvider,
    for_record_type,
    provider,
)
from mailzone.providers.base import UNKNOWN, declared_set, declared_value
from mailzone.providers.route53 import PROVIDER as ROUTE53


def test_every_config_name_has_its_provider() -> None:
    assert set(PROVIDERS) == set(DnsProvider)
    for name, module in PROVIDERS.items():
        assert module.name == name.value
        assert provider(name.value) is module


def test_providers_are_found_by_their_resource_types() -> None:
    assert set(PROVIDERS.values()) <= set(READERS)
    for module in READERS:
        for token in module.record_types:
            assert for_record_type(token) is module
        assert module.shapes_from, module.name  # the SDK release its shapes were read from
    assert for_record_type("aws:s3/bucket:Bucket") is None
    assert RECORD_TYPES.isdisjoint(ZONE_TYPES)
    owners = [m for m in READERS for _ in m.record_types]
    assert len(owners) == len(RECORD_TYPES)  # no type token claimed twice
    assert len({r.name for r in READERS}) == len(READERS)


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(ValueError):
        provider("route-53")


def test_every_provider_has_a_components_backend() -> None:
    """components/dns.py declares one backend class per provider (read from its source:
    importing it would load the providers' Pulumi SDKs)."""
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[3] / "components" / "dns.py"
    declared = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (isinstance(statement, ast.Assign)
                        and [getattr(t, "id", None) for t in statement.targets] == ["provider"]
                        and isinstance(statement.value, ast.Attribute)):
                    declared.add(statement.value.attr)
    assert declared == {member.name for member in DnsProvider}


def test_a_record_sets_entries_are_each_decoded_once_for_values_and_strings() -> None:
    entries = ['v=spf1 include:amazonses.com" "-all', UNKNOWN, "site-verification=abc", 7.0]
    values, strings = declared_set("txt", entries, ROUTE53.decode_txt)
    assert values == tuple(declared_value("txt", e, ROUTE53.decode_txt) for e in entries)
    assert strings == {"v=spf1 include:amazonses.com-all": ("v=spf1 include:amazonses.com",
                                                            "-all"),
                       "site-verification=abc": ("site-verification=abc",), "7": ("7",)}
    mx = ["10 mail.example.com", UNKNOWN]
    assert declared_set("MX", mx, ROUTE53.decode_txt) == (("mail.example.com", None), {})
