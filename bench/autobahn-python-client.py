"""Python websockets (Debian's python3-websockets) as the client an Autobahn
fuzzing server tests: /getCaseCount, /runCase for each, /updateReports.
  /usr/bin/python3 bench/autobahn-python-client.py ws://127.0.0.1:9001 AGENT"""
import asyncio
import sys
import urllib.parse

import websockets


async def main(base, agent):
    quoted = urllib.parse.quote(agent)
    async with websockets.connect(f"{base}/getCaseCount") as ws:
        count = int(await ws.recv())
    for case in range(1, count + 1):
        try:
            async with websockets.connect(f"{base}/runCase?case={case}&agent={quoted}", max_size=2 ** 25, max_queue=None) as ws:
                async for message in ws:
                    await ws.send(message)
        except Exception as error:  # a case that fails the connection is the point of most cases
            print(f"case {case}: {type(error).__name__}", file=sys.stderr)
    async with websockets.connect(f"{base}/updateReports?agent={quoted}") as ws:
        pass


asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) > 2 else "websockets"))
