"""The rule registry: every judgement declared once, every face's set, docs/codes.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mailzone import registry
from mailzone.findings import Severity
from mailzone.registry import (
    ALL_FACES,
    DMARC_MISSING,
    REGISTRY,
    SPF_NO_ALL,
    SPF_TOO_LARGE,
    Face,
    Registry,
    Rule,
    codes_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "mailzone").rglob("*.py")), *sorted((ROOT / "components").glob("*.py")),
           *sorted((ROOT / "policies").glob("*.py"))]


def test_docs_codes_md_is_generated_from_the_registry() -> None:
    written = (ROOT / "docs" / "codes.md").read_text()
    assert written == codes_markdown(), (
        "docs/codes.md drifted from mailzone/registry.py: run "
        "'.venv/bin/python -m mailzone.registry > docs/codes.md'")


def test_the_table_lists_every_rule_and_every_policy() -> None:
    table = codes_markdown()
    for rule in REGISTRY.rules():
        assert f"| `{rule.code}` |" in table
    for policy in REGISTRY.policies():
        assert f"| `{policy.name}` |" in table


def _rule_constants_used() -> set[str]:
    """Names of registry constants that judging code uses (not only imports)."""
    constants = {name for name, value in vars(registry).items() if isinstance(value, Rule)}
    used: set[str] = set()
    for path in SOURCES:
        if path.name == "registry.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name) and node.id in constants:
                used.add(node.id)
    return used


def test_every_rule_is_reported_somewhere() -> None:
    constants = {name for name, value in vars(registry).items() if isinstance(value, Rule)}
    assert len(constants) == len(REGISTRY.rules())
    assert constants - _rule_constants_used() == set()


def test_no_code_is_written_as_a_string_outside_the_registry() -> None:
    """Findings are made through their rule, so no judging code spells a code out."""
    codes = {rule.code for rule in REGISTRY.rules()}
    spelled: list[str] = []
    for path in SOURCES:
        if path.name == "registry.py":
            continue
        tree = ast.parse(path.read_text())
        # A pack policy may share its rule's name (dmarc-missing): the pack names its
        # policies, and judging code may name one as ``policy=``.
        policy_names = {id(k.value) for k in ast.walk(tree)
                        if isinstance(k, ast.keyword) and k.arg == "policy"}
        in_pack = path.parent.name == "policies"
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in codes:
                is_policy = node.value in {p.name for p in REGISTRY.policies()}
                if is_policy and (in_pack or id(node) in policy_names):
                    continue
                spelled.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert spelled == []


def test_a_rule_refuses_a_severity_it_does_not_declare() -> None:
    assert SPF_TOO_LARGE.error("too big").severity is Severity.ERROR
    assert DMARC_MISSING.warning("none here").severity is Severity.WARNING
    assert DMARC_MISSING.error("none here").severity is Severity.ERROR
    with pytest.raises(ValueError, match="spf-too-large is declared error"):
        SPF_TOO_LARGE.warning("big")
    with pytest.raises(ValueError, match="spf-no-all is declared warning"):
        SPF_NO_ALL.error("no all")


def _rule(**changes: object) -> Rule:
    fields: dict[str, object] = {
        "code": "test-rule", "severities": frozenset({Severity.ERROR}), "summary": "s",
        "reference": "r", "faces": frozenset({Face.CHECK}),
        "omitted": {face: "why" for face in ALL_FACES - {Face.CHECK}},
    }
    fields.update(changes)
    return Rule(**fields)  # type: ignore[arg-type]


def test_a_declaration_must_say_why_every_other_face_leaves_it_out() -> None:
    fresh = Registry()
    fresh.add(_rule())
    with pytest.raises(ValueError, match="say why"):
        fresh.add(_rule(code="other", omitted={}))
    with pytest.raises(ValueError, match="declared twice"):
        fresh.add(_rule())
    with pytest.raises(ValueError, match="exactly when a policy"):
        fresh.add(_rule(code="pack-rule", faces=frozenset({Face.PACK}),
                        omitted={face: "why" for face in ALL_FACES - {Face.PACK}}))


def test_every_pack_rule_is_reported_by_a_declared_policy() -> None:
    for rule in REGISTRY.rules():
        assert (rule.policy is not None) == (Face.PACK in rule.faces), rule.code
    assert {r.policy for r in REGISTRY.rules() if r.policy} == {
        p.name for p in REGISTRY.policies()}


def test_select_keeps_what_a_face_or_a_policy_owns() -> None:
    findings = [registry.SPF_IP_LITERAL.error("ip"), registry.SPF_PLUS_ALL.error("+all"),
                registry.SPF_NO_ALL.warning("no all"), registry.CONFIG_NO_DMARC.warning("x")]
    assert [f.code for f in REGISTRY.select(findings, policy="spf-valid")] == ["spf-plus-all"]
    assert [f.code for f in REGISTRY.select(findings, face=Face.PLAN)] == [
        "spf-ip-literal", "spf-plus-all", "spf-no-all"]
    assert [f.code for f in REGISTRY.select(findings, face=Face.PACK)] == [
        "spf-ip-literal", "spf-plus-all"]
    assert [f.code for f in REGISTRY.select(findings, face=Face.COMPONENTS)] == [
        "spf-ip-literal", "spf-plus-all", "spf-no-all", "config-no-dmarc"]
    with pytest.raises(KeyError):
        REGISTRY.select(findings, policy="no-such-policy")
