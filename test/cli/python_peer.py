"""Python `websockets` (Debian's python3-websockets) as the peer of scriptling-ws.

  python_peer.py echo-server   echo server on a free port: prints "PORT <n>", serves until stdin closes
  python_peer.py client URL    connects to `scriptling-ws listen`, sends "hello from python",
                               prints each message received, one per line, until the server closes;
                               then prints "CLOSED <code>"
"""
import asyncio
import sys

import websockets


async def echo_server():
    async def echo(ws, path=None):
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", 0) as srv:
        print("PORT %d" % srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def client(url):
    async with websockets.connect(url) as ws:
        await ws.send("hello from python")
        try:
            async for message in ws:
                print(message if isinstance(message, str) else message.hex(), flush=True)
        except websockets.ConnectionClosed:
            pass
    print("CLOSED %s" % ws.close_code, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "echo-server":
        asyncio.run(echo_server())
    else:
        asyncio.run(client(sys.argv[2]))
