"""Python `websockets` (Debian's python3-websockets) serving the routes the
seed's client examples talk to, as test/sync/seed-server.mjs does for ours.
Prints one JSON line {"port": n}; serves until stdin closes."""
import asyncio
import json
import sys

import websockets

_clients = set()


async def echo(ws):
    async for msg in ws:
        await ws.send("Echo text: " + msg if isinstance(msg, str) else msg)


async def chat(ws):
    _clients.add(ws)
    try:
        await ws.send("Welcome to the chat!")
        async for msg in ws:
            for c in list(_clients):
                # A client that is leaving must not end the sender's handler (as ws.broadcast skips it in ours).
                try:
                    await c.send(msg)
                except websockets.ConnectionClosed:
                    pass
    finally:
        _clients.discard(ws)


async def updates(ws):
    msg = await asyncio.wait_for(ws.recv(), 5)
    await ws.send("subscribed: " + msg)
    await ws.send("update 1")
    await ws.send("update 2")


async def mixed(ws):
    await ws.send("text one")
    await ws.send(bytes([0xDE, 0xAD, 0xBE, 0xEF]))
    await ws.send("text two")


async def silent(ws):
    async for _ in ws:
        pass


async def drop(ws):
    await asyncio.wait_for(ws.recv(), 5)  # then the TCP connection is lost, without a Close frame
    ws.transport.abort()


async def headers(ws):
    h = ws.request_headers
    await ws.send("%s / %s" % (h.get("Authorization"), h.get("X-Custom-Header")))
    await asyncio.wait_for(ws.recv(), 5)


async def later(ws):
    msg = await asyncio.wait_for(ws.recv(), 5)
    await asyncio.sleep(0.3)
    await ws.send("later: " + msg)
    await asyncio.wait_for(ws.recv(), 5)


async def ping_me(ws):
    # "ping me": we ping at once and report how long the Pong took (the client may be busy meanwhile).
    await asyncio.wait_for(ws.recv(), 5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(await ws.ping(), 5)
    await ws.send("pong after %d ms" % round((loop.time() - started) * 1000))
    await asyncio.wait_for(ws.recv(), 5)


ROUTES = {"/echo": echo, "/chat": chat, "/updates": updates, "/mixed": mixed,
          "/silent": silent, "/drop": drop, "/headers": headers, "/later": later,
          "/ping-me": ping_me}


async def route(ws, path):
    try:
        await ROUTES[path](ws)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(route, "127.0.0.1", 0, max_size=2 ** 24) as srv:
        print(json.dumps({"port": srv.sockets[0].getsockname()[1]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
