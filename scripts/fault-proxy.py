#!/usr/bin/env python3
"""An HTTP/1.1 proxy on 127.0.0.1 that misbehaves like a bad mobile network, for the sync fault tests.

Usage: fault-proxy.py LISTEN_PORT UPSTREAM_PORT [--drop-request 0.15] [--drop-reply 0.15] [--duplicate 0.05]
                      [--delay 0.2] [--seed N] [--log FILE]

Per request: drop it before the hub sees it; or forward it and drop the reply after the hub applied it; or
send it to the hub twice and answer with the second reply; and sometimes wait up to --delay seconds first.
Prints "listening" once ready. Standard library only.
"""
import argparse
import asyncio
import os
import signal
import random
import sys


async def read_message(reader, is_request):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            raise ValueError("chunked bodies are not supported by this proxy")
    body = await reader.readexactly(length) if length else b""
    return head + body


async def forward(message, upstream_port):
    reader, writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    try:
        writer.write(message)
        await writer.drain()
        return await read_message(reader, False)
    finally:
        writer.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("listen", type=int)
    parser.add_argument("upstream", type=int)
    parser.add_argument("--drop-request", type=float, default=0.15)
    parser.add_argument("--drop-reply", type=float, default=0.15)
    parser.add_argument("--duplicate", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = {"requests": 0, "dropped_requests": 0, "dropped_replies": 0, "duplicated": 0}
    log = open(args.log, "a") if args.log else None

    async def handle(reader, writer):
        try:
            while True:
                try:
                    message = await read_message(reader, True)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                counts["requests"] += 1
                if rng.random() < 0.3:
                    await asyncio.sleep(rng.random() * args.delay)
                roll = rng.random()
                if roll < args.drop_request:
                    counts["dropped_requests"] += 1
                    return  # the hub never sees it
                reply = await forward(message, args.upstream)
                if roll < args.drop_request + args.duplicate:
                    counts["duplicated"] += 1
                    reply = await forward(message, args.upstream)
                elif roll < args.drop_request + args.duplicate + args.drop_reply:
                    counts["dropped_replies"] += 1
                    return  # the hub applied it; the device never hears
                writer.write(reply)
                await writer.drain()
        except Exception as error:  # a broken connection is part of the game; say what it was
            if log:
                print(f"connection error: {error!r}", file=log, flush=True)
        finally:
            if log:
                print(counts, file=log, flush=True)
            writer.close()

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", args.listen)
        print("listening", flush=True)
        async with server:
            await server.serve_forever()

    # Stopped by the harness with SIGTERM: leave at once, without asyncio's complaints about open connections.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
