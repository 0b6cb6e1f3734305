"""Python `websockets` (Debian's python3-websockets) as the other peer.

  python_peer.py client URL   connects, exchanges messages with an echo server, prints a JSON report
  python_peer.py server       runs an echo server on a free port, prints "PORT <n>", serves until stdin closes
  python_peer.py server a,b   the same, supporting subprotocols a and b; each connection is first sent
                              "subprotocol=<chosen>" ("" when none) before the echo
"""
import asyncio
import json
import sys

import websockets


async def client(url):
    report = {}
    async with websockets.connect(url, max_size=2 ** 24) as ws:
        report["extensions"] = [type(e).__name__ for e in ws.extensions]
        await ws.send("hello from python")
        report["text"] = await ws.recv()
        await ws.send(bytes([0, 1, 2, 255]))
        report["binary"] = list(await ws.recv())
        big = "é" * 100000
        await ws.send(big)
        report["big_ok"] = (await ws.recv()) == big
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        report["pong"] = True
        await ws.close(code=4000, reason="done")
        report["close_code"] = ws.close_code
    print(json.dumps(report), flush=True)


async def server(subprotocols=None):
    async def echo(ws, path=None):
        if subprotocols:
            await ws.send("subprotocol=%s" % (ws.subprotocol or ""))
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", 0, max_size=2 ** 24, subprotocols=subprotocols) as srv:
        port = srv.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2]))
    else:
        asyncio.run(server(sys.argv[2].split(",") if len(sys.argv) > 2 else None))
