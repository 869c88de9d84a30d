"""A deliberately broken server of `tests/fixtures/valid/mock-scripted-call.yaml`, for the tests
of `asyncapi-codegen test`: it plays the call script correctly except for the fault MODE names.

usage: broken_call_server.py PORT MODE
MODE: none | wrong-type (agent.id is a string) | unknown-topic (an extra `call.transferred`) |
      missing-reply (ping is never answered) | no-auth (the token is not checked)
"""
import asyncio
import http
import json
import sys

from websockets.asyncio.server import serve

PORT, MODE = int(sys.argv[1]), sys.argv[2]

OPENED = {"type": "call.opened", "callId": "call-1", "openedAt": "2024-05-01T12:00:00Z",
          "agent": {"id": 1234, "email": "ada@example.com"}, "channel": "VOICE"}
SCRIPT = [
    OPENED,
    {"type": "dialog.diff", "seq": 1, "lines": [{"speaker": "AGENT", "text": "Hello"}]},
    {"type": "ai.info", "sentiment": "NEUTRAL", "confidence": 0.5},
    {"type": "verification", "verified": True, "score": 90},
    {"type": "call.closed", "callId": "call-1", "reason": "HANGUP"},
]


def check_token(connection, request):
    if MODE != "no-auth" and "token=t" not in request.path:
        return connection.respond(http.HTTPStatus.UNAUTHORIZED, "missing token\n")
    return None


async def session(ws):
    script = [dict(m) for m in SCRIPT]
    if MODE == "wrong-type":
        script[0] = dict(OPENED, agent={"id": "1234", "email": "ada@example.com"})
    if MODE == "unknown-topic":
        script.insert(1, {"type": "call.transferred", "to": "queue-2"})
    for message in script:
        await ws.send(json.dumps(message))
    async for text in ws:
        message = json.loads(text)
        if message.get("type") == "ping" and MODE != "missing-reply":
            await ws.send(json.dumps({"type": "pong", "id": message["id"], "at": "2024-05-01T12:00:01Z"}))


async def main():
    async with serve(session, "127.0.0.1", PORT, process_request=check_token) as server:
        print("listening", flush=True)
        await server.serve_forever()


asyncio.run(main())
