"""The rule registry: every judgement mailzone makes, declared once.

A ``Rule`` is one finding code with what it means: the severities it may be
reported at, a one-line summary, the RFC section or seed rule it enforces, the
faces it runs in (``Face``) and, for the policy pack, the policy that reports it.
Judging code makes findings through the rule (``SPF_PLUS_ALL.error(message,
where)``), so a finding's code always names a registered rule and a rule can
never be reported at a severity it does not declare.

Faces ask the registry for their named set (``REGISTRY.select(findings,
face=...)`` or ``policy=...``) instead of filtering code strings: the pack's
``spf-valid`` policy reports the engine's findings that ``spf-valid`` owns, a
plan leaves out what is the config's alone. Where a face leaves a rule out, the
rule says why (``Rule.omitted``); ``docs/codes.md`` is generated from this
module (``python -m mailzone.registry``) and a test fails when it drifts.

The idea follows octoDNS's ``ValidatorRegistry``: validators with ids and named
sets that callers enable. This module is at the bottom of the core (it imports
only ``findings``) so every layer, the SPF engine included, reports through it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from mailzone.findings import Finding, Severity


class Face(StrEnum):
    """Where mailzone judges: each face runs a named set of rules."""

    COMPONENTS = "components"  # config validation and the components' own checks
    PACK = "pack"  # the Pulumi policy pack, over declared resources
    PLAN = "plan"  # mailzone plan: desired records against published ones
    CHECK = "check"  # mailzone check: what is published, live
    SPF = "spf"  # mailzone spf lint / tree: one record or one tree

    @property
    def label(self) -> str:
        return _FACE_LABELS[self]


_FACE_LABELS: Final = {
    Face.COMPONENTS: "config and components",
    Face.PACK: "policy pack",
    Face.PLAN: "mailzone plan",
    Face.CHECK: "mailzone check",
    Face.SPF: "mailzone spf",
}

ALL_FACES: Final = frozenset(Face)


class Enforcement(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True, slots=True)
class PackPolicy:
    """One policy of the pack: its name, what it enforces, and how hard."""

    name: str
    description: str
    enforcement: Enforcement
    stack: bool = False  # a stack validation (all resources at once), else per resource


@dataclass(frozen=True, slots=True)
class Rule:
    """One judgement. ``faces`` run it; ``omitted`` says why each other face does not."""

    code: str
    severities: frozenset[Severity]
    summary: str
    reference: str
    faces: frozenset[Face]
    omitted: Mapping[Face, str] = field(default_factory=dict)
    policy: str | None = None  # the pack policy that reports it (Face.PACK)

    def finding(self, severity: Severity, message: str, where: str = "") -> Finding:
        if severity not in self.severities:
            raise ValueError(f"{self.code} is declared {self.severity_text}, not {severity}")
        return Finding(self.code, severity, message, where)

    def error(self, message: str, where: str = "") -> Finding:
        return self.finding(Severity.ERROR, message, where)

    def warning(self, message: str, where: str = "") -> Finding:
        return self.finding(Severity.WARNING, message, where)

    @property
    def severity_text(self) -> str:
        return " or ".join(s.value for s in Severity if s in self.severities)


class Registry:
    """Every rule by code, and the named sets the faces ask for."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._policies: dict[str, PackPolicy] = {}
        # Named sets, worked out once: faces ask for them per resource and per domain.
        self._sets: dict[tuple[Face | None, str | None], frozenset[str]] = {}

    def add_policy(self, policy: PackPolicy) -> PackPolicy:
        if policy.name in self._policies:
            raise ValueError(f"pack policy {policy.name!r} is declared twice")
        self._policies[policy.name] = policy
        return policy

    def add(self, rule: Rule) -> Rule:
        if rule.code in self._rules:
            raise ValueError(f"rule {rule.code!r} is declared twice")
        if (rule.policy is not None) != (Face.PACK in rule.faces):
            raise ValueError(f"{rule.code}: a rule runs in the pack exactly when a policy "
                             "reports it")
        if rule.policy is not None and rule.policy not in self._policies:
            raise ValueError(f"{rule.code}: no pack policy {rule.policy!r}")
        missing = ALL_FACES - rule.faces - set(rule.omitted)
        if missing:
            raise ValueError(f"{rule.code}: say why {', '.join(sorted(missing))} leave it out")
        self._rules[rule.code] = rule
        self._sets.clear()
        return rule

    def __getitem__(self, code: str) -> Rule:
        return self._rules[code]

    def __contains__(self, code: object) -> bool:
        return code in self._rules

    def rules(self) -> list[Rule]:
        return sorted(self._rules.values(), key=lambda r: r.code)

    def policies(self) -> list[PackPolicy]:
        return list(self._policies.values())

    def policy(self, name: str) -> PackPolicy:
        return self._policies[name]

    def named_set(self, face: Face) -> frozenset[str]:
        """The codes ``face`` runs."""
        return self._set(face, None)

    def policy_set(self, policy: str) -> frozenset[str]:
        """The codes the pack policy ``policy`` reports."""
        if policy not in self._policies:
            raise KeyError(f"no pack policy {policy!r}")
        return self._set(None, policy)

    def _set(self, face: Face | None, policy: str | None) -> frozenset[str]:
        key = (face, policy)
        found = self._sets.get(key)
        if found is None:
            found = frozenset(r.code for r in self._rules.values()
                              if (face is None or face in r.faces)
                              and (policy is None or r.policy == policy))
            self._sets[key] = found
        return found

    def select(
        self, findings: Iterable[Finding], *, face: Face | None = None, policy: str | None = None
    ) -> list[Finding]:
        """The findings whose rules ``face`` runs (and ``policy`` reports), in order."""
        if face is None and policy is None:
            return list(findings)
        if policy is not None and policy not in self._policies:
            raise KeyError(f"no pack policy {policy!r}")
        wanted = self._set(face, policy)
        return [f for f in findings if f.code in wanted]


REGISTRY: Final = Registry()
_rule = REGISTRY.add
_policy = REGISTRY.add_policy

E = frozenset({Severity.ERROR})
W = frozenset({Severity.WARNING})
EW = frozenset({Severity.ERROR, Severity.WARNING})

# Why a face leaves a rule out: the reasons that recur.
LIVE = "needs what is published (live DNS or a zone snapshot); this face sees declarations"
TREE = "needs the include tree's DNS answers; this face judges the record text offline"
PACK_ERRORS = "a warning about the text: the pack's mandatory policies report errors only"
AUDIT_ONLY = "judges a published domain as a whole, which only `mailzone check` fetches"
PLAN_ONLY = "compares desired records with published ones, which only `mailzone plan` does"
NO_SETTINGS = "judges application settings, which only the pack sees (a stack config has none)"
STACK_WIDE = "a stack-wide question: several resources at one name"
WRITTEN = "mailzone writes this itself, so the config cannot get it wrong"
NOT_RECORD = "judges a stack's resources or config, not a published record or one SPF text"
ONE_RECORD = "`mailzone spf` looks at one SPF record or tree, not a whole mail domain"
CONFIG_ERROR = "refused with the config (a config error) before this face judges anything"

# -- the pack's policies -----------------------------------------------------------

SPF_NO_IP_LITERALS_POLICY = _policy(PackPolicy(
    "spf-no-ip-literals",
    "SPF records authorise senders with include:, never with hard-coded IP addresses "
    "(ip4:/ip6:, or a:/mx: naming an address).",
    Enforcement.MANDATORY))
SPF_VALID_POLICY = _policy(PackPolicy(
    "spf-valid",
    "SPF records must be valid: no error the SPF engine reports (grammar, +all, strings "
    "over 255 octets, answers over 512 octets).",
    Enforcement.MANDATORY))
SPF_LOOKUP_BUDGET_POLICY = _policy(PackPolicy(
    "spf-lookup-budget",
    "An SPF record must stay within the DNS lookup budget (RFC 7208: 10), computed offline "
    "from the sender catalogue's include costs.",
    Enforcement.MANDATORY))
SPF_LOOKUP_HEADROOM_POLICY = _policy(PackPolicy(
    "spf-lookup-budget-headroom",
    "Advisory: an SPF record close to the lookup budget breaks as soon as a provider adds a "
    "lookup to its own record.",
    Enforcement.ADVISORY))
SPF_SINGLE_RECORD_POLICY = _policy(PackPolicy(
    "spf-single-record",
    "Exactly one v=spf1 value per name across the whole stack, whichever provider or "
    "resource holds it.",
    Enforcement.MANDATORY, stack=True))
SPF_INCLUDE_ONLY_POLICY = _policy(PackPolicy(
    "spf-include-only",
    "Advisory: SPF records should authorise senders only with include: (plus all and "
    "redirect=).",
    Enforcement.ADVISORY))
MAIL_HOST_NOT_IP_POLICY = _policy(PackPolicy(
    "mail-host-not-ip",
    "Mail hosts are names: MX exchanges and SMTP host settings must not be IP addresses.",
    Enforcement.MANDATORY))
SMTP_PORT_NOT_25_POLICY = _policy(PackPolicy(
    "smtp-port-not-25",
    "SMTP submission uses port 587 (STARTTLS) or 465 (TLS); port 25 towards anything but "
    "the local host is rate-limited or blocked by cloud platforms.",
    Enforcement.MANDATORY))
SMTP_LOCAL_RELAY_POLICY = _policy(PackPolicy(
    "smtp-port-local-relay",
    "Advisory: a local relay on port 25 is fine for low volume; above about 1000 messages "
    "a day use an external sending service.",
    Enforcement.ADVISORY))
SENDER_ADDRESS_POLICY = _policy(PackPolicy(
    "sender-address",
    "Sender addresses are real mailboxes in a domain this stack sends from: a domain, no "
    "noreply, no placeholder domains.",
    Enforcement.MANDATORY, stack=True))
SES_IDENTITY_COMPLETE_POLICY = _policy(PackPolicy(
    "ses-identity-complete",
    "Every SES domain identity has its three DKIM CNAMEs in the stack, and every MAIL FROM "
    "domain its MX and SPF record.",
    Enforcement.MANDATORY, stack=True))
DMARC_VALID_POLICY = _policy(PackPolicy(
    "dmarc-valid",
    "DMARC records must be valid (RFC 9989) and published at _dmarc.<domain>.",
    Enforcement.MANDATORY))
BULK_SENDER_POLICY = _policy(PackPolicy(
    "bulk-sender",
    "Advisory (set it mandatory for domains that send 5,000+ messages a day): each "
    "sender meets the bar of Google, Yahoo and Microsoft: SPF and DKIM pass, DMARC at "
    "least p=none with rua, SPF or DKIM aligned.",
    Enforcement.ADVISORY, stack=True))
PARKED_DOMAIN_POLICY = _policy(PackPolicy(
    "parked-domain",
    "A domain with a null MX (RFC 7505) sends and takes no mail: no other MX, an SPF "
    "record that authorises nobody, and DMARC p=reject with sp=reject and np=reject.",
    Enforcement.MANDATORY, stack=True))
DMARC_MISSING_POLICY = _policy(PackPolicy(
    "dmarc-missing",
    "Advisory: every domain the stack sends from should have a DMARC record.",
    Enforcement.ADVISORY, stack=True))
SMTP_PASSWORD_PLAINTEXT_POLICY = _policy(PackPolicy(
    "smtp-password-plaintext",
    "SMTP passwords are secrets: a Pulumi secret, a Kubernetes Secret or a secret store "
    "reference, never a plain value in application settings or a ConfigMap.",
    Enforcement.MANDATORY))
SMTP_PORT_ENV_FROM_POLICY = _policy(PackPolicy(
    "smtp-port-not-25-env-from",
    "No port 25 across a Kubernetes container's env and the ConfigMaps and Secrets of the "
    "stack it reads with envFrom, judged together.",
    Enforcement.MANDATORY, stack=True))

# -- SPF: one record's text ------------------------------------------------------------

_TEXT_FACES = frozenset({Face.COMPONENTS, Face.PACK, Face.PLAN, Face.CHECK, Face.SPF})
_TEXT_WARNING_FACES = frozenset({Face.COMPONENTS, Face.PLAN, Face.CHECK, Face.SPF})
_TEXT_WARNING_OMITTED = {Face.PACK: PACK_ERRORS}

SPF_SYNTAX = _rule(Rule(
    "spf-syntax", E, "the record does not follow the RFC 7208 grammar (permerror)",
    "RFC 7208 4.6, 12", _TEXT_FACES, policy="spf-valid"))
SPF_IP_LITERAL = _rule(Rule(
    "spf-ip-literal", E,
    "ip4:/ip6: terms or an IP literal as a host: authorise senders with include:",
    "seed rule: include:, never literal IPs", _TEXT_FACES, policy="spf-no-ip-literals"))
SPF_PLUS_ALL = _rule(Rule(
    "spf-plus-all", E, "+all (or a bare all) authorises every host on the internet",
    "RFC 7208 5.1", _TEXT_FACES, policy="spf-valid"))
SPF_TOO_LARGE = _rule(Rule(
    "spf-too-large", E, "the record exceeds 512 octets: the answer may not fit a UDP response",
    "RFC 7208 3.4", _TEXT_FACES, policy="spf-valid"))
SPF_NEAR_SIZE_LIMIT = _rule(Rule(
    "spf-near-size-limit", W,
    "the record exceeds 450 octets, the guideline that leaves the answer room within 512",
    "RFC 7208 3.4", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_STRING_TOO_LONG = _rule(Rule(
    "spf-string-too-long", E, "a TXT character-string is longer than 255 octets",
    "RFC 7208 3.3, RFC 1035 3.3.14", frozenset({Face.PACK}),
    omitted={Face.COMPONENTS: "mailzone writes every value in 255-octet strings",
             Face.PLAN: "mailzone writes every value in 255-octet strings",
             Face.CHECK: "a published string cannot exceed 255 octets (one length octet)",
             Face.SPF: "a record given as text has no strings to measure"},
    policy="spf-valid"))
SPF_NO_ALL = _rule(Rule(
    "spf-no-all", W, "no all mechanism and no redirect: unmatched mail gets neutral",
    "RFC 7208 4.7", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_PTR = _rule(Rule(
    "spf-ptr", W, "the ptr mechanism is slow, unreliable and discouraged",
    "RFC 7208 5.5", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_DEPRECATED_MACRO = _rule(Rule(
    "spf-deprecated-macro", W, "a macro that is discouraged (the p letter)",
    "RFC 7208 7.3", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_REDIRECT_IGNORED = _rule(Rule(
    "spf-redirect-ignored", W, "redirect= is ignored because the record has an all mechanism",
    "RFC 7208 6.1", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_UNKNOWN_MODIFIER = _rule(Rule(
    "spf-unknown-modifier", W, "a modifier receivers do not know (they ignore it)",
    "RFC 7208 6", _TEXT_WARNING_FACES, omitted=_TEXT_WARNING_OMITTED))
SPF_NOT_A_RECORD = _rule(Rule(
    "spf-not-a-record", E,
    "a declared TXT value starts with v=spf1 but not 'v=spf1 ' as receivers join its "
    "strings (a provider split it on spaces): receivers ignore it",
    "RFC 7208 4.5, 3.3", frozenset({Face.PACK}),
    omitted={Face.COMPONENTS: "mailzone writes every value in the provider's own form",
             Face.PLAN: "mailzone writes every value in the provider's own form",
             Face.CHECK: "a published value that is no SPF record is no SPF record: "
                         "check reports the domain's missing SPF",
             Face.SPF: "`mailzone spf` is given a record's text, not a declaration"},
    policy="spf-valid"))

# -- SPF: the lookup budget and the tree ---------------------------------------------------

SPF_LOOKUP_LIMIT = _rule(Rule(
    "spf-lookup-limit", E,
    "more than 10 DNS-querying terms across the evaluation (permerror); offline from the "
    "catalogue's include costs, live from the tree",
    "RFC 7208 4.6.4", _TEXT_FACES, policy="spf-lookup-budget"))
SPF_LOOKUP_HEADROOM = _rule(Rule(
    "spf-lookup-headroom", W, "the offline lookup budget is close to the maximum",
    "RFC 7208 4.6.4 (house policy: warn at 8)", frozenset({Face.PACK, Face.PLAN}),
    omitted={Face.COMPONENTS: "the config refuses over 10 and leaves the advisory to the pack",
             Face.CHECK: "the live tree is counted exactly: spf-lookup-limit says it",
             Face.SPF: "the live tree is counted exactly: spf-lookup-limit says it"},
    policy="spf-lookup-budget-headroom"))
SPF_DUPLICATE_INCLUDE = _rule(Rule(
    "spf-duplicate-include", W, "the same include appears more than once in the record or tree",
    "RFC 7208 4.6.4", frozenset({Face.COMPONENTS, Face.PLAN, Face.CHECK, Face.SPF}),
    omitted={Face.PACK: PACK_ERRORS}))
SPF_NOT_INCLUDE_ONLY = _rule(Rule(
    "spf-not-include-only", W, "a mechanism other than include/all/redirect (house policy)",
    "seed rule: include:, never literal IPs", frozenset({Face.PACK, Face.PLAN}),
    omitted={Face.COMPONENTS: WRITTEN + " (records of includes only)",
             Face.CHECK: "a published record's other mechanisms are judged by the engine",
             Face.SPF: "a published record's other mechanisms are judged by the engine"},
    policy="spf-include-only"))
SPF_MULTIPLE_RECORDS = _rule(Rule(
    "spf-multiple-records", E, "more than one v=spf1 record at a name (permerror)",
    "RFC 7208 3.2, 4.5", frozenset({Face.PACK, Face.PLAN, Face.CHECK, Face.SPF}),
    omitted={Face.COMPONENTS: STACK_WIDE + "; a component writes one record"},
    policy="spf-single-record"))
_TREE_FACES = frozenset({Face.PLAN, Face.CHECK, Face.SPF})
_TREE_OMITTED = {Face.COMPONENTS: TREE, Face.PACK: TREE}
SPF_VOID_LIMIT = _rule(Rule(
    "spf-void-limit", E, "more than 2 lookups that returned nothing (permerror)",
    "RFC 7208 4.6.4", _TREE_FACES, omitted=_TREE_OMITTED))
SPF_LOOP = _rule(Rule(
    "spf-loop", E, "an include/redirect chain comes back to a domain already on the path",
    "RFC 7208 5.2", _TREE_FACES, omitted=_TREE_OMITTED))
SPF_INCLUDE_MISSING = _rule(Rule(
    "spf-include-missing", E, "an include or redirect target publishes no SPF record",
    "RFC 7208 5.2, 6.1", _TREE_FACES, omitted=_TREE_OMITTED))
SPF_MX_LIMIT = _rule(Rule(
    "spf-mx-limit", E, "an mx or a ptr term yields more than 10 names (permerror)",
    "RFC 7208 4.6.4", _TREE_FACES, omitted=_TREE_OMITTED))
SPF_DNS_ERROR = _rule(Rule(
    "spf-dns-error", E, "a DNS lookup of the tree failed (timeout, SERVFAIL, REFUSED): temperror",
    "RFC 7208 2.6.6", _TREE_FACES, omitted=_TREE_OMITTED))
SPF_MISSING = _rule(Rule(
    "spf-missing", E, "the domain (or its MAIL FROM domain) publishes no v=spf1 record",
    "RFC 7208 4.5", frozenset({Face.CHECK, Face.SPF}),
    omitted={Face.COMPONENTS: WRITTEN + " (every domain gets its SPF record)",
             Face.PACK: "judges declared records: a record not declared is not there to judge",
             Face.PLAN: WRITTEN + " (every domain gets its SPF record)"}))

# -- DMARC -----------------------------------------------------------------------------

_DMARC_FACES = frozenset({Face.COMPONENTS, Face.PLAN, Face.CHECK})
_DMARC_OMITTED = {Face.PACK: PACK_ERRORS, Face.SPF: ONE_RECORD}

DMARC_SYNTAX = _rule(Rule(
    "dmarc-syntax", E,
    "a value that is no DMARC record (receivers discard it), or a tag with a syntax error "
    "(receivers discard the tag and keep the rest)",
    "RFC 9989, General Record Format",
    frozenset({Face.COMPONENTS, Face.PACK, Face.PLAN, Face.CHECK}),
    omitted={Face.SPF: ONE_RECORD}, policy="dmarc-valid"))
DMARC_NO_POLICY = _rule(Rule(
    "dmarc-no-policy", W,
    "no valid p= (or an invalid sp=/np=) beside a valid rua=: receivers act as p=none",
    "RFC 9989, DMARC Policy Discovery", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_NOT_APPLIED = _rule(Rule(
    "dmarc-not-applied", E,
    "no valid p= (or an invalid sp=/np=) and no valid rua=: receivers apply no DMARC",
    "RFC 9989, DMARC Policy Discovery", frozenset({Face.COMPONENTS, Face.PACK, Face.PLAN,
                                                   Face.CHECK}),
    omitted={Face.SPF: ONE_RECORD}, policy="dmarc-valid"))
DMARC_POLICY_NONE = _rule(Rule(
    "dmarc-policy-none", W, "p=none only monitors; spoofed mail is delivered",
    "RFC 9989, General Record Format (p)", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_SUBDOMAIN_WEAKER = _rule(Rule(
    "dmarc-subdomain-weaker", W, "sp= is weaker than p=",
    "RFC 9989, General Record Format (sp)", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_TESTING = _rule(Rule(
    "dmarc-testing", W, "t=y beside an enforcing policy: the domain tests its policy, it does "
    "not enforce it", "RFC 9989, General Record Format (t)", _DMARC_FACES,
    omitted=_DMARC_OMITTED))
DMARC_NP_MISSING = _rule(Rule(
    "dmarc-np-missing", W, "no np= tag and what applies to names that do not exist is weaker "
    "than reject (advisory: np=reject costs nothing)",
    "RFC 9989, General Record Format (np)", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_HISTORIC_TAG = _rule(Rule(
    "dmarc-historic-tag", W, "pct=, rf= or ri=, or a report URI's !size: RFC 7489's, which "
    "RFC 9989 removed; receivers ignore them", "RFC 9989, Changes from RFC 7489",
    _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_NO_RUA = _rule(Rule(
    "dmarc-no-rua", W, "no aggregate report destination",
    "RFC 9989, General Record Format (rua); RFC 9990", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_URI_SCHEME = _rule(Rule(
    "dmarc-uri-scheme", W, "a report URI that is not mailto:",
    "RFC 9989, General Record Format (rua, ruf)", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_UNKNOWN_TAG = _rule(Rule(
    "dmarc-unknown-tag", W, "a tag RFC 9989 does not define (ignored by receivers)",
    "RFC 9989, General Record Format", _DMARC_FACES, omitted=_DMARC_OMITTED))
DMARC_RUA_EXTERNAL = _rule(Rule(
    "dmarc-rua-external", W,
    "a report destination outside the domain needs <domain>._report._dmarc.<dest>",
    "RFC 9989, Verifying External Destinations", frozenset({Face.COMPONENTS, Face.PLAN}),
    omitted={Face.PACK: PACK_ERRORS, Face.SPF: ONE_RECORD,
             Face.CHECK: "check asks the destination itself: dmarc-rua-unauthorised"}))
DMARC_RUA_UNAUTHORISED = _rule(Rule(
    "dmarc-rua-unauthorised", E,
    "a report destination outside the domain does not publish <domain>._report._dmarc.<dest>: "
    "receivers send it no reports",
    "RFC 9989, Verifying External Destinations", frozenset({Face.CHECK}),
    omitted={Face.COMPONENTS: LIVE, Face.PACK: LIVE, Face.SPF: ONE_RECORD,
             Face.PLAN: "the destination's zone is not the stack's: dmarc-rua-external warns"}))
DMARC_WRONG_NAME = _rule(Rule(
    "dmarc-wrong-name", E, "a v=DMARC1 value published somewhere other than _dmarc.<domain>",
    "RFC 9989, DMARC Policy Record", frozenset({Face.PACK}),
    omitted={Face.COMPONENTS: WRITTEN + " (at _dmarc.<domain>)",
             Face.PLAN: WRITTEN + " (at _dmarc.<domain>)",
             Face.CHECK: "check reads _dmarc.<domain> only, where receivers look",
             Face.SPF: ONE_RECORD},
    policy="dmarc-valid"))
DMARC_POLICY_TOO_WEAK = _rule(Rule(
    "dmarc-policy-too-weak", E, "p= is weaker than the pack's configured minimum",
    "house policy (dmarc-valid minimumPolicy)", frozenset({Face.PACK}),
    omitted={Face.COMPONENTS: "a setting of the pack's config (minimumPolicy)",
             Face.PLAN: "a setting of the pack's config (minimumPolicy)",
             Face.CHECK: "a setting of the pack's config (minimumPolicy)",
             Face.SPF: ONE_RECORD},
    policy="dmarc-valid"))
DMARC_MISSING = _rule(Rule(
    "dmarc-missing", EW,
    "no DMARC record covers a sending domain (check: an error; pack and plan: advisory)",
    "RFC 9989, DNS Tree Walk", frozenset({Face.PACK, Face.PLAN, Face.CHECK}),
    omitted={Face.COMPONENTS: "config-no-dmarc says it of the config",
             Face.SPF: ONE_RECORD},
    policy="dmarc-missing"))
_AUDIT_OMITTED = {Face.COMPONENTS: AUDIT_ONLY, Face.PACK: AUDIT_ONLY, Face.PLAN: AUDIT_ONLY,
                  Face.SPF: ONE_RECORD}
DMARC_MULTIPLE = _rule(Rule(
    "dmarc-multiple", E, "more than one DMARC record at a name: receivers discard them all",
    "RFC 9989, DNS Tree Walk", frozenset({Face.PLAN, Face.CHECK}),
    omitted={Face.COMPONENTS: WRITTEN + " (one record at _dmarc.<domain>)",
             Face.PACK: "the pack judges each declared record; two at one name in a stack "
                        "is not checked yet",
             Face.SPF: ONE_RECORD}))
DMARC_SPF_UNALIGNED = _rule(Rule(
    "dmarc-spf-unaligned", W, "the MAIL FROM domain cannot align with the domain for SPF",
    "RFC 9989, Identifier Alignment", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))

# -- the bulk-sender bar ---------------------------------------------------------------

BULK_SENDER_UNMET = _rule(Rule(
    "bulk-sender-unmet", EW,
    "a sender does not meet the bulk-sender bar: SPF and DKIM passing, DMARC at least "
    "p=none with rua, SPF or DKIM aligned (an error; a warning when no sender of the "
    "catalogue is found to judge)",
    "Google and Yahoo sender guidelines (2024-02); Microsoft Outlook.com (2025-05)",
    frozenset({Face.CHECK, Face.PACK}),
    omitted={Face.COMPONENTS: "judges what each sender needs beyond the records the "
                              "components write (keys at its selectors, its return path)",
             Face.PLAN: AUDIT_ONLY, Face.SPF: ONE_RECORD},
    policy="bulk-sender"))

# -- MX and mail hosts ---------------------------------------------------------------------

MX_MISSING = _rule(Rule(
    "mx-missing", EW, "no MX: mail to the domain goes to its address records, if any",
    "RFC 5321 5.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
_PARKED_FACES = frozenset({Face.CHECK, Face.PACK})
_PARKED_OMITTED = {
    Face.COMPONENTS: WRITTEN + " (a parked domain's records are the lockdown set)",
    Face.PLAN: "a plan publishes the config's records; a parked config's are the whole set, "
               "and what is published now is check's to judge",
    Face.SPF: ONE_RECORD}
MX_NULL_MIXED = _rule(Rule(
    "mx-null-mixed", E, "a null MX beside other MX records",
    "RFC 7505 3", _PARKED_FACES, omitted=_PARKED_OMITTED, policy="parked-domain"))
MX_NULL_SPF = _rule(Rule(
    "mx-null-spf", E, "a null MX says the domain takes no mail, but its SPF authorises senders",
    "RFC 7505 4", _PARKED_FACES, omitted=_PARKED_OMITTED, policy="parked-domain"))
PARKED_INCOMPLETE = _rule(Rule(
    "parked-incomplete", E,
    "a parked domain (null MX, v=spf1 -all) without DMARC p=reject, sp=reject and np=reject: "
    "its name and names under it can still be spoofed",
    "RFC 7505; RFC 9989 (np)", _PARKED_FACES, omitted=_PARKED_OMITTED,
    policy="parked-domain"))
MX_HOST_VOID = _rule(Rule(
    "mx-host-void", E, "an MX exchange has no A or AAAA record: mail to it cannot be delivered",
    "RFC 5321 5.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
MX_IP_LITERAL = _rule(Rule(
    "mx-ip-literal", E, "a published MX exchange is written as an address, which MX does not "
    "allow (declared: mail-host-ip-literal)",
    "RFC 7505 3, RFC 5321 5.1", frozenset({Face.CHECK}),
    omitted={Face.COMPONENTS: WRITTEN, Face.SPF: ONE_RECORD,
             Face.PACK: "the pack says it of declared MX records: mail-host-ip-literal",
             Face.PLAN: "the plan says it of declared MX records: mail-host-ip-literal"}))
MX_MAIL_FROM_MISSING = _rule(Rule(
    "mx-mail-from-missing", E, "the MAIL FROM domain has no MX: bounces cannot come back",
    "seed rule: bounces come back", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
MX_MAIL_FROM_NULL = _rule(Rule(
    "mx-mail-from-null", E, "the MAIL FROM domain has a null MX: bounces cannot come back",
    "seed rule: bounces come back", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
MAIL_HOST_IP_LITERAL = _rule(Rule(
    "mail-host-ip-literal", E,
    "an MX exchange or an SMTP host setting is an IP address, not a name",
    "seed rule: never hard-code mail server addresses", frozenset({Face.PACK, Face.PLAN}),
    omitted={Face.COMPONENTS: WRITTEN + " (MX records name SES's hosts)",
             Face.CHECK: "check says it of published MX records: mx-ip-literal",
             Face.SPF: ONE_RECORD},
    policy="mail-host-not-ip"))

# -- DKIM ------------------------------------------------------------------------------

DKIM_MISSING = _rule(Rule(
    "dkim-missing", E, "no DKIM key record at <selector>._domainkey.<domain>",
    "RFC 6376 3.6.2", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_MULTIPLE = _rule(Rule(
    "dkim-multiple", E, "more than one TXT record at a DKIM key name",
    "RFC 6376 3.6.2.2", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_SYNTAX = _rule(Rule(
    "dkim-syntax", E, "the DKIM key record does not follow RFC 6376 3.6.1",
    "RFC 6376 3.6.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_REVOKED = _rule(Rule(
    "dkim-revoked", E, "the DKIM key record has an empty p=: the key is revoked",
    "RFC 6376 3.6.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_KEY_TYPE = _rule(Rule(
    "dkim-key-type", E, "a key type (k=) verifiers do not know",
    "RFC 6376 3.6.1, RFC 8463", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_WEAK_KEY = _rule(Rule(
    "dkim-weak-key", EW, "an RSA key under 1024 bits (error) or under 2048 bits (warning)",
    "RFC 8301 3.2", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_TESTING = _rule(Rule(
    "dkim-testing", W, "t=y: verifiers treat signatures as a test",
    "RFC 6376 3.6.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_SHA1 = _rule(Rule(
    "dkim-sha1", E, "h= allows only sha1, which verifiers reject",
    "RFC 8301 3.1", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))
DKIM_NOT_CHECKED = _rule(Rule(
    "dkim-not-checked", W, "an SES identity's Easy DKIM tokens were not given: DKIM not checked",
    "RFC 6376 3.6.2", frozenset({Face.CHECK}), omitted=_AUDIT_OMITTED))

# -- SES, senders and SMTP settings ---------------------------------------------------------

_SES_OMITTED = {Face.COMPONENTS: WRITTEN + " (the component declares them)",
                Face.CHECK: "check judges the published records: dkim-*, mx-mail-from-*",
                Face.SPF: ONE_RECORD}
SES_DKIM_MISSING = _rule(Rule(
    "ses-dkim-missing", E, "an SES domain identity without its three DKIM CNAMEs into its "
    "region's Easy DKIM zone (check: a given token's CNAME into another zone)",
    "seed rule: SES identity with DKIM; AWS Easy DKIM domains",
    frozenset({Face.PACK, Face.PLAN, Face.CHECK}),
    omitted={k: v for k, v in _SES_OMITTED.items() if k is not Face.CHECK},
    policy="ses-identity-complete"))
SES_MAIL_FROM_MX_MISSING = _rule(Rule(
    "ses-mail-from-mx-missing", E, "a MAIL FROM domain without its MX record in the stack",
    "seed rule: custom MAIL FROM domain", frozenset({Face.PACK, Face.PLAN}),
    omitted=_SES_OMITTED, policy="ses-identity-complete"))
SES_MAIL_FROM_SPF_MISSING = _rule(Rule(
    "ses-mail-from-spf-missing", E, "a MAIL FROM domain without its SPF record in the stack",
    "seed rule: custom MAIL FROM domain", frozenset({Face.PACK, Face.PLAN}),
    omitted=_SES_OMITTED, policy="ses-identity-complete"))
_SENDER_FACES = frozenset({Face.COMPONENTS, Face.PACK})
_SENDER_OMITTED = {Face.PLAN: CONFIG_ERROR, Face.CHECK: NOT_RECORD, Face.SPF: ONE_RECORD}
SENDER_INVALID = _rule(Rule(
    "sender-invalid", E, "a sender address that is not a valid mailbox address",
    "seed rule: real mailboxes", _SENDER_FACES, omitted=_SENDER_OMITTED,
    policy="sender-address"))
SENDER_NO_DOMAIN = _rule(Rule(
    "sender-no-domain", E, "a sender address without a domain",
    "seed rule: real mailboxes", _SENDER_FACES, omitted=_SENDER_OMITTED,
    policy="sender-address"))
SENDER_NOREPLY = _rule(Rule(
    "sender-noreply", E, "a noreply address that is not listed as a real mailbox",
    "seed rule: real mailboxes", _SENDER_FACES, omitted=_SENDER_OMITTED,
    policy="sender-address"))
SENDER_PLACEHOLDER_DOMAIN = _rule(Rule(
    "sender-placeholder-domain", E,
    "a placeholder-looking domain (domain.com, email.com, ...), which someone else owns",
    "seed rule: no invented domains", _SENDER_FACES, omitted=_SENDER_OMITTED,
    policy="sender-address"))
SENDER_UNMANAGED_DOMAIN = _rule(Rule(
    "sender-unmanaged-domain", E, "a sender address in a domain the stack does not send from",
    "seed rule: a domain you control", _SENDER_FACES, omitted=_SENDER_OMITTED,
    policy="sender-address"))
_SETTINGS_OMITTED = {Face.COMPONENTS: NO_SETTINGS, Face.PLAN: NO_SETTINGS,
                     Face.CHECK: NO_SETTINGS, Face.SPF: ONE_RECORD}
SMTP_PORT_25 = _rule(Rule(
    "smtp-port-25", E, "SMTP on port 25 towards anything but a local relay",
    "seed rule: submission on 587 or 465", frozenset({Face.PACK}),
    omitted=_SETTINGS_OMITTED, policy="smtp-port-not-25"))
SMTP_LOCAL_RELAY = _rule(Rule(
    "smtp-local-relay", W, "port 25 to a local relay: fine for low volume only",
    "seed rule: submission on 587 or 465", frozenset({Face.PACK}),
    omitted=_SETTINGS_OMITTED, policy="smtp-port-local-relay"))
SMTP_PASSWORD_PLAINTEXT = _rule(Rule(
    "smtp-password-plaintext", E,
    "an SMTP password given as a plain value (not a secret or a secret reference)",
    "design: secrets are Pulumi secrets and never printed", frozenset({Face.PACK}),
    omitted={**_SETTINGS_OMITTED,
             Face.COMPONENTS: "the components take the SMTP password as a Pulumi secret"},
    policy="smtp-password-plaintext"))
SMTP_PORT_25_ENV_FROM = _rule(Rule(
    "smtp-port-25-env-from", E,
    "SMTP on port 25 to a remote host, the port and the host in different resources that a "
    "container reads together (env and envFrom)",
    "seed rule: submission on 587 or 465", frozenset({Face.PACK}),
    omitted=_SETTINGS_OMITTED, policy="smtp-port-not-25-env-from"))

# -- the config --------------------------------------------------------------------------

CONFIG_INCLUDE_COST_UNKNOWN = _rule(Rule(
    "config-include-cost-unknown", W,
    "an include outside the catalogue with no stated lookup cost (1 assumed)",
    "RFC 7208 4.6.4", frozenset({Face.COMPONENTS, Face.PLAN}),
    omitted={Face.PACK: "the pack's includeCosts config says it", Face.CHECK: LIVE,
             Face.SPF: ONE_RECORD}))
CONFIG_NO_DMARC = _rule(Rule(
    "config-no-dmarc", W, "a domain configured without dmarc",
    "RFC 9989, DNS Tree Walk", frozenset({Face.COMPONENTS}),
    omitted={Face.PACK: "dmarc-missing says it of the stack",
             Face.PLAN: "dmarc-missing says it, with what is published",
             Face.CHECK: "dmarc-missing says it of what is published",
             Face.SPF: ONE_RECORD}))

# -- the plan ------------------------------------------------------------------------------

_PLAN_OMITTED = {Face.COMPONENTS: PLAN_ONLY, Face.PACK: PLAN_ONLY, Face.CHECK: PLAN_ONLY,
                 Face.SPF: PLAN_ONLY}
PLAN_VALUE_LOST = _rule(Rule(
    "plan-value-lost", E, "a published value `pulumi up` would delete (add it to keepTxt)",
    "design: records and ownership", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_CNAME_CONFLICT = _rule(Rule(
    "plan-cname-conflict", E, "a managed name is a CNAME, which can hold no other record",
    "RFC 1034 3.6.2", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_NO_SNAPSHOT = _rule(Rule(
    "plan-no-snapshot", EW,
    "the zone snapshot holds no zone for a managed domain: every record would look new "
    "(a warning with --allow-missing)",
    "design: plan", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_UNSAFE = _rule(Rule(
    "plan-unsafe", EW,
    "the plan would remove or replace more than a share (30%) of the published values at "
    "the names the stack manages, or every TXT value at an apex (a warning with "
    "--allow-unsafe)",
    "design: records and ownership (octoDNS's update thresholds)", frozenset({Face.PLAN}),
    omitted=_PLAN_OMITTED))
PLAN_DNS_ERROR = _rule(Rule(
    "plan-dns-error", E, "the current records could not be read",
    "design: plan", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_INCLUDE_CHANGED = _rule(Rule(
    "plan-include-changed", W, "a sender's SPF include resolves differently than at the last plan",
    "design: the include lock", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_INCLUDE_COST = _rule(Rule(
    "plan-include-cost", W,
    "an include costs a different number of lookups than the catalogue says",
    "RFC 7208 4.6.4", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))
PLAN_INCLUDE_UNRESOLVED = _rule(Rule(
    "plan-include-unresolved", W,
    "an include the catalogue has no records for could not be resolved; its catalogue cost "
    "was used", "RFC 7208 4.6.4", frozenset({Face.PLAN}), omitted=_PLAN_OMITTED))

# -- the live audit ------------------------------------------------------------------------

_CHECK_OMITTED = {Face.COMPONENTS: AUDIT_ONLY, Face.PACK: AUDIT_ONLY, Face.PLAN: AUDIT_ONLY,
                  Face.SPF: "`mailzone spf` reports a failed lookup as spf-dns-error"}
CHECK_DNS_ERROR = _rule(Rule(
    "check-dns-error", E, "a DNS lookup failed (timeout, SERVFAIL, REFUSED, ...)",
    "RFC 7208 2.6.6, RFC 9989 DNS Tree Walk", frozenset({Face.CHECK}), omitted=_CHECK_OMITTED))
CHECK_TIMEOUT = _rule(Rule(
    "check-timeout", E, "the domain's checks did not finish within the time bound",
    "design: check", frozenset({Face.CHECK}), omitted=_CHECK_OMITTED))
CHECK_QUERY_CAP = _rule(Rule(
    "check-query-cap", E, "a walk needed more distinct DNS questions than allowed (--max-queries)",
    "RFC 7208 4.6.4 (a lookup bomb)", frozenset({Face.CHECK, Face.SPF}),
    omitted={Face.COMPONENTS: TREE, Face.PACK: TREE,
             Face.PLAN: "the plan walks the stack's own records and the catalogue's "
                        "includes with no question cap yet"}))
CHECK_IP_RESULT = _rule(Rule(
    "check-ip-result", EW, "mail from the --ip address does not get SPF pass",
    "RFC 7208 2.6", frozenset({Face.CHECK}),
    omitted={**_CHECK_OMITTED, Face.SPF: "`mailzone spf eval` prints the result itself"}))
CHECK_TXT_ANSWER_SIZE = _rule(Rule(
    "check-txt-answer-size", EW, "the whole TXT answer at a name is over 512 octets (a "
    "warning), or over 65,535, more than any DNS message can carry (an error)",
    "RFC 7208 3.4, RFC 1035 4.2.2", frozenset({Face.CHECK}), omitted=_CHECK_OMITTED))
CHECK_INTERNAL_ERROR = _rule(Rule(
    "check-internal-error", E, "a check failed unexpectedly (a bug): the others still ran",
    "design: check", frozenset({Face.CHECK}), omitted=_CHECK_OMITTED))


# -- the generated table (docs/codes.md) ----------------------------------------------------

_MARK = {True: "yes", False: "—"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def codes_markdown() -> str:
    """``docs/codes.md``: every rule, the faces that run it, and why the others do not."""
    faces = list(Face)
    lines = [
        "# Finding codes",
        "",
        "<!-- Generated from mailzone/registry.py by `python -m mailzone.registry`; "
        "a test fails when this file drifts. Do not edit by hand. -->",
        "",
        "Every judgement mailzone makes is one rule of the registry "
        "(`mailzone/registry.py`): a stable code that scripts and policy configs may match "
        "on, the severities it is reported at, what it enforces, and the faces that run it. "
        "The faces are " + ", ".join(f"**{f.value}** ({f.label})" for f in faces) + ".",
        "",
        "| code | severity | " + " | ".join(f.value for f in faces)
        + " | pack policy | enforces | meaning |",
        "|---|---|" + "---|" * len(faces) + "---|---|---|",
    ]
    for rule in REGISTRY.rules():
        marks = [_MARK[face in rule.faces] for face in faces]
        lines.append(
            f"| `{rule.code}` | {rule.severity_text} | " + " | ".join(marks)
            + f" | {'`' + rule.policy + '`' if rule.policy else '—'} | {_cell(rule.reference)}"
            f" | {_cell(rule.summary)} |")
    lines += ["", "## Why a face leaves a rule out", ""]
    for rule in REGISTRY.rules():
        if not rule.omitted:
            continue
        lines.append(f"- `{rule.code}`: " + "; ".join(
            f"**{face.value}**: {_cell(rule.omitted[face])}" for face in faces
            if face in rule.omitted))
    lines += ["", "## The policy pack's policies", "",
              "| policy | enforcement | validates | codes | what it enforces |",
              "|---|---|---|---|---|"]
    for policy in REGISTRY.policies():
        codes = ", ".join(f"`{c}`" for c in sorted(REGISTRY.policy_set(policy.name)))
        kind = "the stack" if policy.stack else "each resource"
        lines.append(f"| `{policy.name}` | {policy.enforcement.value} | {kind} | {codes} | "
                     f"{_cell(policy.description)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(codes_markdown())
