"""Independent check of the generated mock server's wire format, with the Python `websockets`
client and the spec read by PyYAML (no generated code involved).

usage: check_mock_server.py BASE_URL TOKEN SPEC_DIR

For each WebSocket document it checks: the exact JSON of the scripted call (the order `x-mock`
gives, see `script`), the reply to every command that has one,
an error message for invalid JSON with the session still serving, and HTTP 401 without or with
a wrong token.
"""
import asyncio
import json
import pathlib
import sys

import yaml
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


def deref(doc, node):
    """Follows local `$ref`s (`#/a/b`)."""
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def channel_messages(doc, channel_key, listed):
    channel = deref(doc, doc["channels"][channel_key])
    keys = [ref["$ref"].rsplit("/", 1)[1] for ref in listed] if listed else list(channel["messages"])
    return [(k, deref(doc, channel["messages"][k])) for k in keys]


def plan(doc):
    """(address, server messages in order, {command: reply example})."""
    sent, replies, address = [], {}, None
    for op in doc["operations"].values():
        channel_key = op["channel"]["$ref"].rsplit("/", 1)[1]
        address = deref(doc, doc["channels"][channel_key])["address"]
        messages = channel_messages(doc, channel_key, op.get("messages"))
        if op["action"] == "send":
            for key, message in messages:
                if key not in [k for k, _ in sent]:
                    sent.append((key, message))
        elif "reply" in op:
            reply_channel = op["reply"]["channel"]["$ref"].rsplit("/", 1)[1]
            reply = channel_messages(doc, reply_channel, op["reply"]["messages"])[0][1]
            for _, message in messages:
                command = message["examples"][0]["payload"]
                replies[json.dumps(command, sort_keys=True)] = (command, reply["examples"][0]["payload"])
    return address, script(sent), list(replies.values())


def script(sent):
    """The payloads the mock pushes, in order, as README's `x-mock` table describes it: without
    `x-mock`, each message's first example in order, then the other examples; a message with
    `x-mock` is a block (`repeat` pushes cycling through its examples) right behind the first push
    of the message its `after` names (and behind what was placed there before it); an example
    named in `x-mock.examples` is a block of its own; `push: false` is never pushed."""
    blocks, tails, waiting = [], [], []
    for key, message in sent:
        mock = message.get("x-mock", {})
        examples = [e for e in message.get("examples", []) if "payload" in e]
        scripted = mock.get("examples", {})
        for e in (e for e in examples if e.get("name") in scripted):
            own = scripted[e["name"]]
            if own.get("push", mock.get("push")) is False:
                continue
            block = {"key": key, "pushes": [e["payload"]] * own.get("repeat", 1), "behind": None}
            after = own.get("after", mock.get("after"))
            (waiting.append((block, after)) if after else blocks.append(block))
        rest = [e["payload"] for e in examples if e.get("name") not in scripted]
        if mock.get("push") is False or not rest:
            continue
        if not {"interval", "repeat", "after"} & set(mock):
            blocks.append({"key": key, "pushes": rest[:1], "behind": None})
            tails += rest[1:]
            continue
        block = {"key": key, "pushes": [rest[n % len(rest)] for n in range(mock.get("repeat", len(rest)))], "behind": None}
        (waiting.append((block, mock["after"])) if "after" in mock else blocks.append(block))
    while waiting:
        still = []
        for block, after in waiting:
            first = next((i for i, b in enumerate(blocks) if b["key"] == after), None)
            if first is None:
                still.append((block, after))
                continue
            followers, end = {after}, first + 1
            while end < len(blocks) and blocks[end]["behind"] in followers:
                followers.add(blocks[end]["key"])
                end += 1
            block["behind"] = after
            blocks.insert(end, block)
        assert len(still) < len(waiting), f"x-mock `after` never placed: {still}"
        waiting = still
    return [p for b in blocks for p in b["pushes"]] + tails


async def receive(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def check(base, token, doc_path):
    doc = yaml.safe_load(pathlib.Path(doc_path).read_text())
    address, script, replies = plan(doc)
    url = f"{base}{address}"
    async with connect(f"{url}?token={token}") as ws:
        for i, expected in enumerate(script):
            got = await receive(ws)
            assert got == expected, f"{doc_path}: message {i}: got {got!r}, want {expected!r}"
        for command, reply in replies:
            await ws.send(json.dumps(command))
            got = await receive(ws)
            assert got == reply, f"{doc_path}: reply to {command}: got {got!r}, want {reply!r}"
        await ws.send("{not json")
        error = await receive(ws)
        assert "error" in error["topic"] and isinstance(error["data"]["message"], str), error
        if replies:
            await ws.send(json.dumps(replies[0][0]))
            assert await receive(ws) == replies[0][1], "session stopped serving after bad input"
    for query in ("", "?token=wrong"):
        try:
            async with connect(f"{url}{query}"):
                raise AssertionError(f"{url}{query}: connected without a valid token")
        except InvalidStatus as e:
            assert e.response.status_code == 401, e.response.status_code
    return len(script), len(replies)


async def main():
    base, token, spec_dir = sys.argv[1:4]
    docs = []
    for path in sorted(pathlib.Path(spec_dir).glob("*.yaml")):
        servers = yaml.safe_load(path.read_text()).get("servers", {})
        if any(s.get("protocol") in ("ws", "wss") for s in servers.values()):
            docs.append(path)
    assert docs, "no WebSocket documents found"
    for d in docs:
        sent, replied = await check(base, token, d)
        print(f"{d.name}: {sent} scripted messages and {replied} replies match the spec; bad input answered; 401 without a valid token")


asyncio.run(main())
