"""Runs against a real bridge: ClientsIT (services/bridge) starts the bridge jar clustered with a JVM
node serving test.echo, test.fail, test.silent, test.call, test.publish and test.headers, and sets
BRIDGE_*."""

import asyncio
import os
import secrets
import time
import unittest

from switchboard_bridge import BridgeError, BridgeFailure, connect, continue_trace

HOST = os.environ.get("BRIDGE_HOST", "127.0.0.1")
PORT = int(os.environ.get("BRIDGE_PORT", "0"))
TOKEN = os.environ.get("BRIDGE_TOKEN")
LIMITED = os.environ.get("BRIDGE_TOKEN_LIMITED")


def setUpModule():
    if not PORT or not TOKEN or not LIMITED:
        raise RuntimeError("BRIDGE_PORT, BRIDGE_TOKEN and BRIDGE_TOKEN_LIMITED must be set (ClientsIT sets them)")


class ClientTest(unittest.IsolatedAsyncioTestCase):

    async def asyncSetUp(self):
        self.clients = []
        self.counter = 0

    async def asyncTearDown(self):
        for client in self.clients:
            await client.close()

    async def open(self, **options):
        options.setdefault("token", TOKEN)
        client = await connect(HOST, options.pop("port", PORT), **options)
        self.clients.append(client)
        return client

    def name(self, prefix):
        self.counter += 1
        return f"{prefix}.py{os.getpid()}.{id(self)}.{self.counter}"

    async def test_request_and_reply_with_headers(self):
        bus = await self.open()
        reply = await bus.request("test.echo", {"n": 1, "text": "héllo"}, headers={"trace": "abc"})
        self.assertEqual({"n": 1, "text": "héllo"}, reply.body)
        self.assertEqual("true", reply.headers["echoed"])
        self.assertFalse(reply.expects_reply)

    async def test_wrong_token_is_refused(self):
        with self.assertRaises(BridgeError) as refused:
            await connect(HOST, PORT, token="not-the-token-0123456789")
        self.assertEqual("auth_failed", refused.exception.code)

    async def test_limited_token_is_denied_naming_the_address(self):
        limited = await self.open(token=LIMITED)
        with self.assertRaises(BridgeError) as denied:
            await limited.register("secret.plans", lambda m: None)
        self.assertEqual("access_denied", denied.exception.code)
        self.assertEqual("secret.plans", denied.exception.address)
        with self.assertRaises(BridgeError) as request:
            await limited.request("secret.plans", {})
        self.assertEqual("access_denied", request.exception.code)
        admin = await self.open()
        await admin.register("secret.plans", lambda m: "ok")
        both = await asyncio.gather(limited.register("secret.twice", lambda m: None),
                                    limited.register("secret.twice", lambda m: None), return_exceptions=True)
        self.assertEqual(["access_denied", "access_denied"], [getattr(e, "code", e) for e in both])
        self.assertNotIn("secret.twice", limited._handlers)

    async def test_failures(self):
        bus = await self.open()
        with self.assertRaises(BridgeError) as failed:
            await bus.request("test.fail", {})
        self.assertEqual("recipient_failure", failed.exception.code)
        self.assertEqual(42, failed.exception.failure_code)
        self.assertEqual("failed on purpose", failed.exception.message)
        with self.assertRaises(BridgeError) as nobody:
            await bus.request("test.nobody", {})
        self.assertEqual("no_handlers", nobody.exception.code)
        with self.assertRaises(BridgeError) as silent:
            await bus.request("test.silent", {}, timeout=0.3)
        self.assertEqual("timeout", silent.exception.code)
        with self.assertRaises(BridgeError) as denied:
            await bus.send("private.address", 1)
        self.assertEqual("access_denied", denied.exception.code)

    async def test_published_message_reaches_a_handler(self):
        bus = await self.open()
        address = self.name("client.news")
        received = asyncio.get_running_loop().create_future()
        await bus.register(address, lambda m: received.set_result(m))
        await bus.request("test.publish", {"address": address, "body": {"headline": "hi"}})
        message = await asyncio.wait_for(received, 10)
        self.assertEqual({"headline": "hi"}, message.body)
        self.assertFalse(message.is_send)

    async def test_jvm_to_python_and_back(self):
        bus = await self.open()
        address = self.name("client.calc")

        async def calc(message):
            if "b" not in message.body:
                raise BridgeFailure(422, "b missing")
            return message.body["a"] + message.body["b"]

        await bus.register(address, calc)
        reply = await bus.request("test.call", {"address": address, "body": {"a": 2, "b": 3}})
        self.assertEqual({"reply": 5}, reply.body)
        with self.assertRaises(BridgeError) as failed:
            await bus.request("test.call", {"address": address, "body": {"a": 2}})
        self.assertEqual(422, failed.exception.failure_code)
        self.assertEqual("b missing", failed.exception.message)

        explicit = self.name("client.explicit")

        async def conflict(message):
            await message.fail(409, "conflict")

        await bus.register(explicit, conflict)
        with self.assertRaises(BridgeError) as refused:
            await bus.request("test.call", {"address": explicit, "body": {}})
        self.assertEqual(409, refused.exception.failure_code)

    async def test_a_handler_letting_a_bridge_error_through_fails_its_message_with_that_code(self):
        bus = await self.open()
        address = self.name("client.relay")

        async def relay(message):
            return (await bus.request("test.fail", message.body)).body  # raises: recipient_failure 42

        await bus.register(address, relay)
        with self.assertRaises(BridgeError) as failed:
            await bus.request("test.call", {"address": address, "body": {}, "timeout": 5000}, timeout=10)
        self.assertEqual(42, failed.exception.failure_code)
        self.assertEqual("failed on purpose", failed.exception.message)

        not_json = self.name("client.notjson")
        await bus.register(not_json, lambda m: object())
        with self.assertRaises(BridgeError) as bad:
            await bus.request("test.call", {"address": not_json, "body": {}, "timeout": 5000}, timeout=10)
        self.assertEqual(500, bad.exception.failure_code)
        self.assertIn("not JSON", bad.exception.message)

    async def test_a_cancelled_request_leaves_nothing_behind(self):
        bus = await self.open()
        pending = asyncio.ensure_future(bus.request("test.silent", {}, timeout=20))
        for _ in range(100):
            if bus._requests:
                break
            await asyncio.sleep(0.01)
        self.assertEqual(1, len(bus._requests))
        pending.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await pending
        self.assertEqual({}, bus._requests)
        reply = await bus.request("test.echo", "after")
        self.assertEqual("after", reply.body)

    async def test_a_message_for_an_address_no_longer_handled_fails_at_once(self):
        bus = await self.open()
        address = self.name("client.gone")
        await bus.register(address, lambda m: "here")
        bus._handlers.pop(address)  # as after a cancelled register or during an unregister: bridge still delivers
        with self.assertRaises(BridgeError) as failed:
            await bus.request("test.call", {"address": address, "body": {}, "timeout": 20000}, timeout=25)
        self.assertEqual(404, failed.exception.failure_code)

    async def test_register_twice_keeps_one_consumer_and_unregister_stops_delivery(self):
        bus = await self.open()
        address = self.name("client.dup")
        seen = []
        got_b = asyncio.get_running_loop().create_future()

        def handler(message):
            seen.append(message.body)
            if message.body == "b" and not got_b.done():
                got_b.set_result(None)

        await bus.register(address, handler)
        await bus.register(address, handler)
        await bus.request("test.publish", {"address": address, "body": "a"})
        await bus.request("test.publish", {"address": address, "body": "b"})
        await asyncio.wait_for(got_b, 10)
        self.assertEqual(["a", "b"], seen)
        await bus.unregister(address)
        # the cluster learns of the unregistration shortly after the ok: ask until nobody handles it
        for _ in range(20):
            with self.assertRaises(BridgeError) as gone:
                await bus.request("test.call", {"address": address, "body": "c", "timeout": 500})
            if "no handlers" in gone.exception.message.lower():
                break
        self.assertIn("no handlers", gone.exception.message.lower())
        self.assertEqual(["a", "b"], seen, "nothing delivered after unregister")

    async def test_reconnects_and_registers_again(self):
        connections = []

        async def relay(reader, writer):
            up_reader, up_writer = await asyncio.open_connection(HOST, PORT)
            connections.extend([writer, up_writer])

            async def pipe(source, sink):
                try:
                    while data := await source.read(65536):
                        sink.write(data)
                        await sink.drain()
                except (OSError, ConnectionError):
                    pass
                finally:
                    sink.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
        try:
            proxy_port = proxy.sockets[0].getsockname()[1]
            bus = await self.open(port=proxy_port, reconnect_delay=0.05)
            address = self.name("client.survivor")
            await bus.register(address, lambda m: f"still here: {m.body}")
            pending = asyncio.ensure_future(bus.request("test.silent", {}, timeout=20))
            await asyncio.sleep(0.05)
            for connection in connections:
                connection.transport.abort()
            connections.clear()
            with self.assertRaises(BridgeError) as lost:
                await pending
            self.assertEqual("connection_lost", lost.exception.code)
            await asyncio.wait_for(bus.connected.wait(), 10)
            direct = await self.open()
            reply = await direct.request("test.call", {"address": address, "body": "ping"})
            self.assertEqual({"reply": "still here: ping"}, reply.body)
        finally:
            for connection in connections:
                connection.transport.abort()
            proxy.close()

    async def test_pings_keep_an_idle_connection_answered(self):
        bus = await self.open(ping_interval=0.05)
        pongs = 0
        original = bus._on_frame

        def counting(frame):
            nonlocal pongs
            if frame.get("type") == "pong":
                pongs += 1
            original(frame)

        bus._on_frame = counting
        for _ in range(100):
            if pongs >= 3:
                break
            await asyncio.sleep(0.05)
        self.assertGreaterEqual(pongs, 3)

    # ---- trace context: the JVM side sends with a traceparent (test.call and test.publish take
    # headers) and test.headers answers with the headers it got

    async def test_a_traced_request_is_continued_passed_on_and_recorded(self):
        spans = []
        recorded = asyncio.Queue()

        def on_span(span):
            spans.append(span)
            recorded.put_nowait(span)

        bus = await self.open(on_span=on_span)
        address = self.name("client.traced")
        traces = []

        async def traced(message):
            traces.append(message.trace)
            seen = await bus.request("test.headers", None, parent=message)
            return seen.body["headers"]

        await bus.register(address, traced)
        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        before = time.time_ns() // 1000
        reply = await bus.request("test.call", {"address": address, "body": None, "headers": {
            "traceparent": f"00-{trace_id}-{parent}-01", "tracestate": "jvm=1"}})
        after = time.time_ns() // 1000

        trace = traces[0]
        self.assertEqual((trace_id, parent, True), (trace.trace_id, trace.parent_span_id, trace.sampled))
        self.assertRegex(trace.span_id, r"\A[0-9a-f]{16}\Z")
        self.assertNotEqual(parent, trace.span_id)
        forwarded = reply.body["reply"]
        self.assertEqual(f"00-{trace_id}-{trace.span_id}-01", forwarded["traceparent"], "the JVM got the handler span as parent")
        self.assertEqual("jvm=1", forwarded["tracestate"])

        span = await asyncio.wait_for(recorded.get(), 10)
        self.assertEqual((trace_id, trace.span_id, parent), (span.trace_id, span.span_id, span.parent_span_id))
        self.assertEqual((address, "SERVER", None), (span.name, span.kind, span.error))
        self.assertEqual({"messaging.system": "vertx-eventbus", "messaging.destination.name": address,
                          "messaging.operation.name": "send"}, span.attributes)
        self.assertTrue(before <= span.start_micros <= after, f"start {span.start_micros} within {before}..{after}")
        self.assertTrue(0 < span.duration_micros and span.start_micros + span.duration_micros <= after + 1000,
                        f"duration {span.duration_micros} µs ends by {after}")

        # a failed one; one published with an unsampled parent (propagated, not recorded); then a
        # sampled one: when it is recorded, the unsampled one would have been too
        failing = self.name("client.traced.fail")

        async def refuse(message):
            await message.fail(409, "taken")

        await bus.register(failing, refuse)
        with self.assertRaises(BridgeError) as failed:
            await bus.request("test.call", {"address": failing, "body": None, "headers": {"traceparent": f"00-{trace_id}-{parent}-01"}})
        self.assertEqual(409, failed.exception.failure_code)

        news = self.name("client.traced.news")
        heard = asyncio.Queue()

        async def listen(message):
            seen = await bus.request("test.headers", None, parent=message)
            heard.put_nowait((message.trace, seen.body["headers"]))

        await bus.register(news, listen)
        unsampled_trace = secrets.token_hex(16)
        await bus.request("test.publish", {"address": news, "body": None, "headers": {"traceparent": f"00-{unsampled_trace}-{parent}-00"}})
        unsampled, headers = await asyncio.wait_for(heard.get(), 10)
        self.assertFalse(unsampled.sampled)
        self.assertEqual(f"00-{unsampled_trace}-{unsampled.span_id}-00", headers["traceparent"], "an unsampled trace is propagated")

        last = secrets.token_hex(16)
        await bus.request("test.publish", {"address": news, "body": None, "headers": {"traceparent": f"00-{last}-{parent}-01"}})
        while (span := await asyncio.wait_for(recorded.get(), 10)).trace_id != last:
            pass
        self.assertEqual(("CONSUMER", "publish"), (span.kind, span.attributes["messaging.operation.name"]))
        self.assertEqual([(trace_id, address, None), (trace_id, failing, "taken"), (last, news, None)],
                         [(s.trace_id, s.name, s.error) for s in spans])
        self.assertEqual("409", spans[1].attributes["messaging.failure_code"])

    async def test_no_or_an_invalid_traceparent_is_no_trace_and_a_trace_is_a_parent_too(self):
        spans = []
        bus = await self.open(on_span=spans.append)
        address = self.name("client.untraced")

        async def untraced(message):
            seen = await bus.request("test.headers", None, parent=message)
            return {"traced": message.trace is not None, "headers": seen.body["headers"]}

        await bus.register(address, untraced)
        for headers in [{}, {"traceparent": f"00-{'0' * 32}-{secrets.token_hex(8)}-01"},
                        {"traceparent": f"00-{secrets.token_hex(16).upper()}-{secrets.token_hex(8)}-01"}]:
            with self.subTest(headers=headers):
                reply = await bus.request("test.call", {"address": address, "body": None, "headers": headers})
                self.assertFalse(reply.body["reply"]["traced"])
                self.assertNotIn("traceparent", reply.body["reply"]["headers"])
        self.assertEqual([], spans)

        trace = continue_trace({"traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"})
        seen = await bus.request("test.headers", None, parent=trace)
        self.assertEqual(trace.traceparent, seen.body["headers"]["traceparent"])
        own = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        explicit = await bus.request("test.headers", None, parent=trace, headers={"traceparent": own})
        self.assertEqual(own, explicit.body["headers"]["traceparent"], "the caller's traceparent wins")


if __name__ == "__main__":
    unittest.main()
