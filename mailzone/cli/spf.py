"""``mailzone spf lint | eval | tree``: the SPF engine on the command line."""

from __future__ import annotations

import argparse
from typing import Any

from mailzone.cli import contract
from mailzone.cli.options import NAMESERVER_HELP, checked_count, checked_seconds
from mailzone.cli.output import console, escape, findings_table, print_json
from mailzone.dns.resolver import DEFAULT_TIMEOUT
from mailzone.errors import ExitStatus
from mailzone.findings import has_errors


def register(commands: Any) -> None:
    spf = commands.add_parser("spf", help="lint, evaluate and budget SPF records",
                              description="The SPF engine: lint a record, evaluate "
                              "check_host(), draw a domain's include tree.",
                              contract=contract.SPF_JUDGE,
                              examples=(
                                  "mailzone spf lint 'v=spf1 include:amazonses.com -all'",
                                  "mailzone spf eval --ip 192.0.2.10 --sender a@example.com",
                                  "mailzone spf tree example.com --format json",
                              ))
    sub = spf.add_subparsers(dest="spf_command", metavar="SUBCOMMAND",
                             parser_class=type(spf))
    sub.required = True

    lint = sub.add_parser(
        "lint",
        help="findings for a record text; with a resolver, its whole lookup budget",
        description="Findings for an SPF record text. With --zones or --nameserver, also "
        "walk its include tree and report the lookup budget.",
        contract=contract.SPF_JUDGE,
        examples=(
            "mailzone spf lint 'v=spf1 ip4:192.0.2.0/24 include:amazonses.com ~all'",
            "mailzone spf lint 'v=spf1 include:sendgrid.net -all' --zones examples/zones",
            "mailzone spf lint 'v=spf1 a mx -all' --domain example.com --format json",
        ),
    )
    lint.add_argument("record", metavar="RECORD", help="the record text, 'v=spf1 ...'")
    lint.add_argument("--domain", metavar="NAME",
                      help="the domain the record is published at (for a, mx and macros)")
    _resolver_options(lint)
    _cap_option(lint)
    _format_option(lint)
    lint.set_defaults(run=run_lint)

    evaluate = sub.add_parser(
        "eval",
        help="the check_host() result for a client address and sender",
        description="Evaluate SPF (RFC 7208 check_host()) for mail from --sender at --ip. "
        "An empty --sender checks the HELO identity.",
        contract=contract.SPF_EVAL,
        examples=(
            "mailzone spf eval --ip 192.0.2.10 --sender bounce@mail.example.com",
            "mailzone spf eval --ip 2001:db8::25 --sender '' --helo mta.example.com",
            "mailzone spf eval --ip 192.0.2.25 --sender a@example.org --zones examples/zones",
        ),
    )
    evaluate.add_argument("--ip", required=True, metavar="ADDR", help="the client's address")
    evaluate.add_argument("--sender", required=True, metavar="ADDR",
                          help="the MAIL FROM address ('' for the HELO identity)")
    evaluate.add_argument("--helo", default="unknown", metavar="NAME",
                          help="the HELO/EHLO name")
    _resolver_options(evaluate)
    _format_option(evaluate)
    evaluate.set_defaults(run=run_eval)

    tree = sub.add_parser(
        "tree",
        help="the include tree of a domain with each term's cost and running total",
        description="Walk DOMAIN's published SPF record and its include tree: each term's "
        "lookup cost with the running total, void lookups, loops and missing includes.",
        contract=contract.SPF_JUDGE,
        examples=(
            "mailzone spf tree example.com",
            "mailzone spf tree example.net --zones examples/zones --format json",
            "mailzone spf tree example.com --nameserver 192.0.2.53 --max-queries 50",
        ),
    )
    tree.add_argument("domain", metavar="DOMAIN",
                      help="the domain whose published SPF record is walked")
    _resolver_options(tree)
    _cap_option(tree)
    _format_option(tree)
    tree.set_defaults(run=run_tree)


def _format_option(parser: argparse.ArgumentParser) -> None:
    # --format, as every command; --json stays, an alias of --format json.
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for programs (default text)")
    parser.add_argument("--json", dest="format", action="store_const", const="json",
                        help="the same as --format json")


def _resolver_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--zones", metavar="DIR",
                       help="answer from a directory of BIND zone files (offline)")
    group.add_argument("--nameserver", metavar="HOST[:PORT]",
                       help=f"ask this DNS server, {NAMESERVER_HELP} (default: the system's "
                       "resolvers)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"seconds per DNS query (default {DEFAULT_TIMEOUT:g}, as every "
                        "command)")


def _cap_option(parser: argparse.ArgumentParser) -> None:
    from mailzone.dns.capped import DEFAULT_QUERY_CAP

    parser.add_argument("--max-queries", type=int, default=DEFAULT_QUERY_CAP, metavar="N",
                        help="distinct DNS questions the walk may ask: a larger include tree "
                        f"is a lookup bomb (default {DEFAULT_QUERY_CAP}, as mailzone check)")


def _resolver(args: argparse.Namespace) -> Any:
    from mailzone.dns.capped import CappedResolver
    from mailzone.dns.source import open_resolver

    resolver = open_resolver(args.zones, args.nameserver,
                             timeout=checked_seconds("--timeout", args.timeout))
    cap = getattr(args, "max_queries", None)
    if cap is None:
        return resolver
    return CappedResolver(resolver, checked_count("--max-queries", cap, 1))


def run_lint(args: argparse.Namespace) -> int:
    import asyncio

    from mailzone.spf.lint import lint_offline, lint_tree

    record, strings = _joined(args.record)
    if args.domain is not None:
        args.domain = _ascii_domain(args.domain, "--domain")
    budget = None
    if args.zones or args.nameserver:
        findings, budget = asyncio.run(lint_tree(record, _resolver(args),
                                                 domain=args.domain, strings=strings))
    else:
        findings = lint_offline(record, domain=args.domain, strings=strings)
    if args.format == "json":
        lookups: dict[str, Any] | None = None
        if budget is not None:
            lookups = budget.to_json()
        print_json({
            "record": record,
            "findings": [f.to_json() for f in findings],
            "lookups": lookups if lookups is not None else _static_lookups(record),
        })
    else:
        out = console()
        out.print(f"[bold]{escape(record)}[/]")
        if findings:
            out.print(findings_table(findings))
        else:
            out.print("[green]no findings[/]")
        if budget is not None:
            from mailzone.cli.render import budget_tree

            out.print(budget_tree(budget))
    return ExitStatus.FINDINGS if has_errors(findings) else ExitStatus.OK


def _ascii_domain(name: str, what: str) -> str:
    """A domain argument in its A-label form (``bücher.example`` is
    ``xn--bcher-kva.example`` in DNS); a usage error when it is no domain name."""
    from mailzone.errors import UsageError
    from mailzone.names import domain_problem, to_ascii

    problem = domain_problem(name, underscores=True)
    if problem is not None:
        raise UsageError(f"{what} {name!r} is not a domain name: {problem}")
    return to_ascii(name)


def _joined(given: str) -> tuple[str, list[str] | None]:
    """A record given as quoted strings, as providers show TXT values
    (``"v=spf1 ..." "..."``), joined as receivers join them (RFC 7208 3.3)."""
    import sys

    from mailzone.dns.txt import unquote_txt

    if not given.strip().startswith('"'):
        return given, None
    joined, strings = unquote_txt(given)
    sys.stderr.write(f"mailzone spf lint: joined {len(strings)} quoted string"
                     f"{'s' if len(strings) != 1 else ''} into one record, as receivers do "
                     "(RFC 7208 3.3)\n")
    return joined, list(strings)


def _static_lookups(record: str) -> dict[str, Any]:
    """The record's own lookup terms, when no resolver was given to follow includes."""
    from mailzone.errors import SpfSyntaxError
    from mailzone.spf.budget import static_costs
    from mailzone.spf.parser import parse

    try:
        parsed = parse(record)
    except SpfSyntaxError:
        return {"total": None, "limit": 10, "terms": []}
    costs = dict(static_costs(parsed, {}).parts)  # a redirect beside "all" costs nothing
    terms = []
    total = 0
    for term in parsed.terms:
        cost = costs.get(str(term), 0)
        total += cost
        terms.append({"term": str(term), "cost": cost, "total": total})
    return {"total": total, "limit": 10, "terms": terms, "followed": False}


def run_eval(args: argparse.Namespace) -> int:
    import asyncio

    from mailzone.errors import UsageError
    from mailzone.spf.check import check_identity, parse_ip

    try:
        parse_ip(args.ip)
    except ValueError:
        raise UsageError(f"--ip {args.ip!r} is not an IPv4 or IPv6 address") from None
    if not args.sender and args.helo == "unknown":
        raise UsageError("an empty --sender checks the HELO identity: give --helo NAME")
    sender = args.sender
    if "@" in sender:  # the domain part as DNS carries it (bücher.example: xn--...)
        local, _, domain = sender.rpartition("@")
        sender = f"{local}@{_ascii_domain(domain, '--sender domain')}"
    helo = args.helo if args.helo.startswith("[") or args.helo == "unknown" else (
        _ascii_domain(args.helo, "--helo"))
    outcome = asyncio.run(check_identity(args.ip, sender, _resolver(args), helo=helo))
    if args.format == "json":
        print_json({
            "result": outcome.result.value,
            "explanation": outcome.explanation,
            "lookups": outcome.lookups,
            "void_lookups": outcome.void_lookups,
            "domain": outcome.domain,
            "mechanism": outcome.mechanism,
            "reason": outcome.reason,
        })
        return ExitStatus.OK
    out = console()
    style = {"pass": "bold green", "fail": "bold red", "softfail": "yellow",
             "neutral": "cyan", "none": "dim", "temperror": "magenta",
             "permerror": "bold magenta"}[outcome.result.value]
    out.print(f"[{style}]{outcome.result.value}[/]  {escape(outcome.reason)}")
    if outcome.explanation:
        out.print(f"explanation: {escape(outcome.explanation)}")
    out.print(f"lookups: {outcome.lookups} of 10   void lookups: {outcome.void_lookups} of 2")
    return ExitStatus.OK


def run_tree(args: argparse.Namespace) -> int:
    import asyncio

    from mailzone.spf.budget import walk
    from mailzone.spf.lint import lint_record

    budget = asyncio.run(walk(_resolver(args), domain=_ascii_domain(args.domain, "DOMAIN")))
    # The published record's own text (its IP literals, +all, ...) as lint judges it,
    # then the tree's: what check says of the same domain's SPF.
    own = lint_record(budget.root.record, domain=budget.root.domain) if budget.root.record else []
    findings = [*budget.root_findings(), *own, *budget.findings()]
    if args.format == "json":
        print_json({"domain": budget.root.domain, "findings": [f.to_json() for f in findings],
                    "lookups": budget.to_json()})
    else:
        from mailzone.cli.render import budget_tree

        out = console()
        out.print(budget_tree(budget))
        if findings:
            out.print(findings_table(findings))
    return ExitStatus.FINDINGS if has_errors(findings) else ExitStatus.OK
