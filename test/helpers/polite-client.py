# A third-party client of the protocol, in Python with the `websockets` library (Debian's
# python3-websockets), as someone outside this project would write it from the README: it sends
# `count` get_name requests one at a time and, whenever the answer is rate_limited, sleeps the
# retryAfterMs it was told and sends the same request again. Its keepalive pings every
# `ping_interval` seconds, as websockets does by default (every 20 s). It prints one JSON line:
# how many requests were answered, how many refusals it met, and how the socket ended.
#
# usage: polite-client.py <wss url> <origin> <session id> <CA file> <count> <ping interval s>
import asyncio
import json
import ssl
import sys

import websockets

# websockets 14 made its new client the default, where the handshake's extra headers are
# `additional_headers`; Debian 12 ships 10.4, where they are `extra_headers`.
HEADERS_ARGUMENT = 'additional_headers' if int(websockets.__version__.split('.')[0]) >= 14 else 'extra_headers'


async def main(url, origin, sid, ca_file, count, ping_interval, progress):
    context = ssl.create_default_context(cafile=ca_file)
    headers = {HEADERS_ARGUMENT: {'Cookie': f'__Host-sid={sid}'}}
    async with websockets.connect(url, ssl=context, origin=origin, ping_interval=ping_interval, ping_timeout=5, **headers) as ws:
        hello = json.loads(await ws.recv())
        if hello.get('type') != 'user_authorized':
            raise RuntimeError(f'expected user_authorized, got {hello}')
        for request_id in range(count):
            while True:
                await ws.send(json.dumps({'type': 'get_name', 'id': request_id, 'hero': 'hulk'}))
                reply = json.loads(await ws.recv())
                if reply.get('code') == 'rate_limited':
                    progress['refused'] += 1
                    progress['waitedMs'] += reply['retryAfterMs']
                    await asyncio.sleep(reply['retryAfterMs'] / 1000)
                    continue
                if reply.get('type') != 'name' or reply.get('id') != request_id:
                    raise RuntimeError(f'unexpected answer to request {request_id}: {reply}')
                progress['answered'] += 1
                break
    progress['closeCode'] = ws.close_code


if __name__ == '__main__':
    url, origin, sid, ca_file, count, ping_interval = sys.argv[1:7]
    progress = {'answered': 0, 'refused': 0, 'waitedMs': 0}
    try:
        asyncio.run(main(url, origin, sid, ca_file, int(count), float(ping_interval), progress))
    except websockets.ConnectionClosed as closed:
        progress.update(closedEarly=True, closeCode=closed.code, closeReason=closed.reason)
    print(json.dumps(progress))
