"""Run the real ``__main__.py`` under the Pulumi SDK's mock engine, in a fresh process.

Usage: ``python -m tests.components.runner <request.json> <result.json>``.

The request holds the stack config (``{"mailzone:domains": <value>, ...}``,
values as Pulumi passes them: structured values as JSON text), the stack name
and the program path. The result records every resource the program registered
(type, name, parent URN, inputs exactly as serialised to the engine, with
Pulumi's secret markers kept), every invoke, the stack outputs (with each
output's secretness), and the error the program raised, if any.

One process per program run keeps runs isolated: the SDK's settings, config
and root stack are process-wide.
"""

from __future__ import annotations

import json
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

DKIM_TOKENS = ["tokenaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tokenbbbbbbbbbbbbbbbbbbbbbbbbbbb",
               "tokenccccccccccccccccccccccccccc"]
MOCK_ZONE_ID = "Z0MOCKZONE0000000001"
# The stacks' usual regions get DKIM_TOKENS; any other region tokens of its own, as SES
# gives each region's identity its own keys.
USUAL_REGIONS = ("eu-west-1", "us-east-1")


def dkim_tokens(region: str | None) -> list[str]:
    """The Easy DKIM tokens the mock SES hands an identity in ``region``."""
    if region is None or region in USUAL_REGIONS:
        return DKIM_TOKENS
    tag = region.replace("-", "")
    return [token[: len(token) - len(tag)] + tag for token in DKIM_TOKENS]
MOCK_PASSWORD = "mock-smtp-password-not-real"
MOCK_ACCOUNT = "111122223333"


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        rid = f"{args.name}-id"
        if args.typ == "aws:sesv2/emailIdentity:EmailIdentity":
            region = state.get("region", "us-east-1")
            state["arn"] = (
                f"arn:aws:ses:{region}:{MOCK_ACCOUNT}:identity/{state['emailIdentity']}"
            )
            attributes = dict(state.get("dkimSigningAttributes") or {})
            attributes["tokens"] = dkim_tokens(region)
            state["dkimSigningAttributes"] = attributes
            rid = state["emailIdentity"]
        elif args.typ == "aws:iam/user:User":
            state.setdefault("name", f"{args.name}-user")
            state["arn"] = f"arn:aws:iam::{MOCK_ACCOUNT}:user/mailzone/{state['name']}"
        elif args.typ == "aws:iam/accessKey:AccessKey":
            rid = "AKIAMOCKMOCKMOCKMOCK"
            state["sesSmtpPasswordV4"] = MOCK_PASSWORD
            state["secret"] = "mock-secret-access-key"
        elif args.typ == "aws:route53/record:Record":
            state["fqdn"] = state.get("name")
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:route53/getZone:getZone":
            return {"zoneId": MOCK_ZONE_ID, "id": MOCK_ZONE_ID, "name": args.args.get("name")}
        return {}


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mocks_: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks_)
        self.registrations: list[dict[str, Any]] = []
        self.invokes: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append({
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent,
                "custom": request.custom,
                "provider": request.provider,
                "inputs": json_format.MessageToDict(request.object),
            })
        return response

    def Invoke(self, request: Any) -> Any:
        self.invokes.append({"token": request.tok, "args": json_format.MessageToDict(request.args)})
        return super().Invoke(request)


async def _resolve(value: Any) -> Any:
    """Export values with each output's secretness: {"value": ..., "secret": bool}."""
    if isinstance(value, pulumi.Output):
        inner = await value.future()
        secret = await value.is_secret()
        resolved = await _resolve(inner)
        return {"value": resolved, "secret": bool(secret)}
    if isinstance(value, dict):
        return {k: await _resolve(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [await _resolve(v) for v in value]
    return value


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    the_mocks = Mocks()
    monitor = RecordingMonitor(the_mocks)
    mocks.set_mocks(
        the_mocks, project="mailzone", stack=request.get("stack", "dev"), preview=False,
        monitor=monitor,
    )
    pulumi.runtime.set_all_config(request["config"])
    program = request["program"]
    error: dict[str, Any] | None = None

    def run() -> None:
        runpy.run_path(program, run_name="__main__")

    try:
        _sync_await(run_pulumi_func(run))
    except BaseException as exc:
        error = {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }
    outputs: dict[str, Any] = {}
    root = get_root_resource()
    if error is None and root is not None:
        stack_outputs = getattr(root, "outputs", {})
        outputs = _sync_await(_resolve(dict(stack_outputs)))
    Path(result_path).write_text(json.dumps({
        "resources": monitor.registrations,
        "invokes": monitor.invokes,
        "outputs": outputs,
        "error": error,
    }, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
