"""The provider table: every provider a config may name has its module, found by type."""

from __future__ import annotations

import pytest

from mailzone.providers import (
    PROVIDERS,
    RECORD_TYPES,
    ZONE_TYPES,
    DnsProvider,
    for_record_type,
    provider,
)


def test_every_config_name_has_its_provider() -> None:
    assert set(PROVIDERS) == set(DnsProvider)
    for name, module in PROVIDERS.items():
        assert module.name == name.value
        assert provider(name.value) is module


def test_providers_are_found_by_their_resource_types() -> None:
    for module in PROVIDERS.values():
        for token in module.record_types:
            assert for_record_type(token) is module
    assert for_record_type("aws:s3/bucket:Bucket") is None
    assert RECORD_TYPES.isdisjoint(ZONE_TYPES)
    owners = [m for m in PROVIDERS.values() for _ in m.record_types]
    assert len(owners) == len(RECORD_TYPES)  # no type token claimed twice


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(ValueError):
        provider("route-53")
