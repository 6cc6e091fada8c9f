"""W3C trace context, read and written without a bridge: the header's grammar, hostile values, the
trace a message continues, what a call on its behalf carries, and on_span fed frames directly."""

import asyncio
import dataclasses
import json
import re
import time
import unittest

from switchboard_bridge import BridgeClient, Message
from switchboard_bridge.trace import (MAX_TRACEPARENT_LENGTH, MAX_TRACESTATE_LENGTH, Trace, continue_trace,
                                      format_traceparent, new_span_id, parse_traceparent, with_trace)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{PARENT}-01"


class TraceparentTest(unittest.TestCase):

    def test_version_00_gives_trace_id_parent_and_sampled_flag(self):
        self.assertEqual((TRACE, PARENT, True), parse_traceparent(VALID))
        self.assertEqual((TRACE, PARENT, False), parse_traceparent(f"00-{TRACE}-{PARENT}-00"))
        # only bit 0 is the sampled flag
        self.assertTrue(parse_traceparent(f"00-{TRACE}-{PARENT}-03")[2])
        self.assertFalse(parse_traceparent(f"00-{TRACE}-{PARENT}-02")[2])

    def test_later_version_is_read_for_its_first_four_fields(self):
        self.assertEqual((TRACE, PARENT, True), parse_traceparent(f"cc-{TRACE}-{PARENT}-01"))
        self.assertEqual((TRACE, PARENT, True), parse_traceparent(f"cc-{TRACE}-{PARENT}-01-what-comes-next"))
        self.assertIsNone(parse_traceparent(f"cc-{TRACE}-{PARENT}-01x"))

    def test_anything_else_is_no_trace_and_never_an_exception(self):
        hostile = [
            None, 0, 55, True, {}, [], [VALID], b"x" * 55, VALID.encode(),
            "", "00", VALID[:54], VALID + "-", VALID + "-01", " " + VALID, VALID + " ", VALID + "\n",
            VALID.upper(), f"00-{TRACE.upper()}-{PARENT}-01", f"00-{TRACE}-{PARENT.upper()}-01", f"00-{TRACE}-{PARENT}-0A",
            f"00-{'0' * 32}-{PARENT}-01", f"00-{TRACE}-{'0' * 16}-01", f"ff-{TRACE}-{PARENT}-01",
            f"00_{TRACE}_{PARENT}_01", f"00-{TRACE}-{PARENT}+01", f"0-0{TRACE}-{PARENT}-01", f"00-{TRACE[1:]}g-{PARENT}-01",
            f"00-{TRACE}-{PARENT}-0g", f"0g-{TRACE}-{PARENT}-01",
            # digits that are not ASCII: full-width 'ａ', Arabic-Indic zero
            f"00-{TRACE[1:]}\uff41-{PARENT}-01", f"00-{TRACE}-{PARENT[1:]}\u0660-01",
            f"cc-{TRACE}-{PARENT}-01-{'x' * MAX_TRACEPARENT_LENGTH}",
            VALID * 100_000,
        ]
        for value in hostile:
            with self.subTest(value=repr(value)[:80]):
                self.assertIsNone(parse_traceparent(value))

    def test_span_ids_are_random_lowercase_hex(self):
        ids = {new_span_id() for _ in range(1000)}
        self.assertEqual(1000, len(ids))
        for span_id in ids:
            self.assertRegex(span_id, r"\A[0-9a-f]{16}\Z")
            self.assertNotEqual("0" * 16, span_id)
        self.assertEqual(VALID, format_traceparent(TRACE, PARENT, True))
        self.assertEqual(f"00-{TRACE}-{PARENT}-00", format_traceparent(TRACE, PARENT, False))


class ContinueTraceTest(unittest.TestCase):

    def test_a_new_span_of_the_same_trace_whose_traceparent_names_it(self):
        trace = continue_trace({"traceparent": VALID, "tracestate": "congo=t61rcWkgMzE"})
        self.assertEqual(TRACE, trace.trace_id)
        self.assertEqual(PARENT, trace.parent_span_id)
        self.assertTrue(trace.sampled)
        self.assertRegex(trace.span_id, r"\A[0-9a-f]{16}\Z")
        self.assertNotEqual(PARENT, trace.span_id)
        self.assertEqual(f"00-{TRACE}-{trace.span_id}-01", trace.traceparent)
        self.assertEqual("congo=t61rcWkgMzE", trace.tracestate)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            trace.trace_id = "x"
        self.assertNotEqual(continue_trace({"traceparent": VALID}).span_id, continue_trace({"traceparent": VALID}).span_id)
        later = continue_trace({"traceparent": f"cc-{TRACE}-{PARENT}-ff-more"})
        self.assertEqual(f"00-{TRACE}-{later.span_id}-01", later.traceparent)
        unsampled = continue_trace({"traceparent": f"00-{TRACE}-{PARENT}-00"})
        self.assertFalse(unsampled.sampled)
        self.assertEqual(f"00-{TRACE}-{unsampled.span_id}-00", unsampled.traceparent)

    def test_header_names_in_any_case_headers_of_any_shape(self):
        self.assertEqual("a=b", continue_trace({"TraceParent": VALID, "TRACESTATE": "a=b"}).tracestate)
        for headers in [None, "traceparent", 42, [VALID], {"traceparent": 42}, {"traceparent": [VALID]},
                        {"traceparent": None}, {1: VALID}, json.loads('{"__proto__": {"traceparent": "%s"}}' % VALID)]:
            with self.subTest(headers=headers):
                self.assertIsNone(continue_trace(headers))

    def test_a_bad_tracestate_is_dropped_and_the_trace_goes_on(self):
        for tracestate in ["", "a=".ljust(MAX_TRACESTATE_LENGTH + 1, "x"), "a=é", "a=b\nc=d", "a=\x00", 7, {"a": "b"}]:
            with self.subTest(tracestate=repr(tracestate)[:40]):
                trace = continue_trace({"traceparent": VALID, "tracestate": tracestate})
                self.assertEqual(TRACE, trace.trace_id)
                self.assertIsNone(trace.tracestate)
        longest = "a=".ljust(MAX_TRACESTATE_LENGTH, "x")
        self.assertEqual(longest, continue_trace({"traceparent": VALID, "tracestate": longest}).tracestate)

    def test_with_trace_the_parent_span_travels_and_the_callers_headers_win(self):
        trace = continue_trace({"traceparent": VALID, "tracestate": "a=b"})
        self.assertEqual({"traceparent": trace.traceparent, "tracestate": "a=b"}, with_trace(None, trace))
        self.assertEqual({"x": "1", "traceparent": trace.traceparent, "tracestate": "a=b"}, with_trace({"x": "1"}, trace))
        own = f"00-{'1' * 32}-{'2' * 16}-01"
        self.assertEqual({"traceparent": own}, with_trace({"traceparent": own}, trace))
        self.assertEqual({"TraceParent": own}, with_trace({"TraceParent": own}, trace))
        self.assertEqual({"tracestate": "mine=1", "traceparent": trace.traceparent}, with_trace({"tracestate": "mine=1"}, trace))
        headers = {"x": "1"}
        for not_a_trace in [None, "x", {}, {"traceparent": VALID}, Trace(TRACE, PARENT, PARENT, True, "garbage")]:
            self.assertIs(headers, with_trace(headers, not_a_trace))
        caller = {"x": "1"}
        with_trace(caller, trace)
        self.assertEqual({"x": "1"}, caller, "the caller's dict is left as it was")

    def test_message_trace_is_made_once_from_the_headers(self):
        message = Message(None, {"address": "a", "headers": {"traceparent": VALID}})
        self.assertIs(message.trace, message.trace)
        self.assertEqual(PARENT, message.trace.parent_span_id)
        self.assertIsNone(Message(None, {"address": "a"}).trace)
        self.assertIsNone(Message(None, {"address": "a", "headers": {"traceparent": VALID.upper()}}).trace)
        self.assertIsNone(Message(None, {"address": "a", "headers": "not an object"}).trace)


def published(address, traceparent=None):
    return {"type": "message", "address": address, "send": False, "body": None,
            "headers": {} if traceparent is None else {"traceparent": traceparent}}


class OnSpanTest(unittest.IsolatedAsyncioTestCase):
    """A client that is not connected, fed published message frames (nothing is written back)."""

    async def handle(self, client, frame, handler=lambda m: None):
        client._handlers[frame["address"]] = handler
        client._on_message(frame)
        await asyncio.wait_for(asyncio.gather(*client._tasks), 5)

    async def test_a_consumer_span_for_a_published_message_of_a_sampled_trace_with_the_handler_error(self):
        spans = []
        client = BridgeClient("127.0.0.1", 0, on_span=spans.append)
        seen = []

        def handler(message):
            seen.append(message)
            raise RuntimeError("no room")

        before = time.time_ns() // 1000
        with self.assertLogs("switchboard_bridge", "ERROR"):
            await self.handle(client, published("client.news", VALID), handler)
        after = time.time_ns() // 1000
        self.assertEqual(1, len(spans))
        span = spans[0]
        self.assertEqual((TRACE, seen[0].trace.span_id, PARENT), (span.trace_id, span.span_id, span.parent_span_id))
        self.assertEqual(("client.news", "CONSUMER"), (span.name, span.kind))
        self.assertTrue(before <= span.start_micros <= after, f"{span.start_micros} within {before}..{after}")
        self.assertTrue(0 <= span.duration_micros <= after - before + 1000)
        self.assertEqual({"messaging.system": "vertx-eventbus", "messaging.destination.name": "client.news",
                          "messaging.operation.name": "publish"}, span.attributes)
        self.assertEqual("no room", span.error)

    async def test_no_span_for_an_unsampled_trace_no_trace_or_a_bad_traceparent(self):
        spans = []
        client = BridgeClient("127.0.0.1", 0, on_span=spans.append)
        for traceparent in [f"00-{TRACE}-{PARENT}-00", None, VALID.upper()]:
            await self.handle(client, published("client.quiet", traceparent))
        # a sampled one afterwards is recorded: the hook works, it was not called for the others
        await self.handle(client, published("client.quiet", VALID))
        self.assertEqual([TRACE], [span.trace_id for span in spans])

    async def test_an_on_span_that_is_not_callable_is_refused_at_once(self):
        with self.assertRaisesRegex(TypeError, "on_span must be callable"):
            BridgeClient("127.0.0.1", 0, on_span="zipkin")

    async def test_what_on_span_raises_is_logged_and_handling_goes_on(self):
        async def failing_async(span):
            raise RuntimeError("exporter broke")

        def failing(span):
            raise RuntimeError("exporter broke")

        for hook in (failing, failing_async):
            client = BridgeClient("127.0.0.1", 0, on_span=hook)
            handled = []
            with self.assertLogs("switchboard_bridge", "ERROR") as logs:
                await self.handle(client, published("client.news", VALID), handled.append)
                await self.handle(client, published("client.news", VALID), handled.append)
            self.assertEqual(2, sum("on_span failed" in line for line in logs.output), logs.output)
            self.assertEqual(2, len(handled))


if __name__ == "__main__":
    unittest.main()
