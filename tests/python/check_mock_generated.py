"""Independent check of `asyncapi-codegen mock` on a spec whose messages have no examples, with the
Python `websockets` client, the spec read by PyYAML and every message checked by `jsonschema`
against the spec's own schema (no code of ours involved).

usage: check_mock_generated.py URL TOKEN SPEC

Checks: HTTP 401 without the token and with a wrong one; the `x-mock` script (message types in
order: opened, three dialog diffs, AI info, verification, closed), each message valid against its
schema; `ping` answered with a valid `pong`; bad input answered with a valid `problem` and the
session still serving. Prints every message received, one JSON line each.
"""
import asyncio
import json
import pathlib
import sys

import jsonschema
import yaml
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

SCRIPT = ["call.opened", "dialog.diff", "dialog.diff", "dialog.diff", "ai.info", "verification", "call.closed"]


def validator(doc, message):
    # Draft 7 ignores the siblings of `$ref`: the document is the root `$ref`s resolve against.
    root = dict(doc)
    root["$ref"] = f"#/components/messages/{message}/payload"
    return jsonschema.Draft7Validator(root, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


async def receive(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def main():
    url, token, spec = sys.argv[1:4]
    doc = yaml.safe_load(pathlib.Path(spec).read_text())
    by_type = {
        message["payload"]["properties"]["type"]["const"]: validator(doc, key)
        for key, message in doc["components"]["messages"].items()
    }
    for query in ("", "?token=wrong"):
        try:
            async with connect(f"{url}{query}"):
                raise AssertionError(f"{url}{query}: connected without the token")
        except InvalidStatus as e:
            assert e.response.status_code == 401, e.response.status_code
    seen = []
    async with connect(f"{url}?token={token}") as ws:
        for expected in SCRIPT:
            message = await receive(ws)
            assert message["type"] == expected, f"script: got {message['type']}, want {expected}"
            by_type[message["type"]].validate(message)
            seen.append(message)
        await ws.send(json.dumps({"type": "ping", "id": 7}))
        pong = await receive(ws)
        assert pong["type"] == "pong", pong
        by_type["pong"].validate(pong)
        seen.append(pong)
        for bad in ('{"type": "ping"}', "{not json", '{"type": "ping", "id": 1, "extra": true}'):
            await ws.send(bad)
            problem = await receive(ws)
            assert problem["type"] == "problem", problem
            by_type["problem"].validate(problem)
            assert problem["message"].startswith("invalid message"), problem
        await ws.send(json.dumps({"type": "ping", "id": 8}))
        assert (await receive(ws))["type"] == "pong", "the session stopped serving after bad input"
    for message in seen:
        print(json.dumps(message, sort_keys=True))


asyncio.run(main())
