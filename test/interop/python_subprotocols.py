# Python websockets' client offering subprotocols (and an Origin): prints the
# protocol it agreed and the server's first message, or the refusal.
import asyncio
import json
import sys

import websockets


async def main(url, protocols, origin):
    try:
        async with websockets.connect(url, subprotocols=protocols or None, origin=origin) as ws:
            said = await ws.recv()
            print(json.dumps({"protocol": ws.subprotocol or "", "serverSays": said}))
    except websockets.exceptions.InvalidStatusCode as error:
        print(json.dumps({"status": error.status_code}))


asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
