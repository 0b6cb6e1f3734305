"""Python websockets (Debian's python3-websockets) as an echo server, for
comparing Autobahn's and `scriptling-ws fuzz`'s verdicts on another
implementation:  /usr/bin/python3 bench/autobahn-python-echo.py PORT"""
import asyncio
import sys

import websockets


async def echo(ws, *_):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=2 ** 25, max_queue=None):
        print(f"python websockets {websockets.__version__} echo server on ws://127.0.0.1:{port}/", flush=True)
        await asyncio.Future()


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 9001))
