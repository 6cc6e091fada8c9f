import struct
import unittest

from switchboard_bridge import BridgeError, FrameDecoder, FrameError, encode_frame


class CodecTest(unittest.TestCase):

    def decoder(self, max_size=1024):
        frames = []
        return frames, FrameDecoder(max_size, frames.append)

    def test_every_split_decodes_the_same_frames(self):
        stream = encode_frame({"type": "ping"}) + encode_frame({"type": "message", "body": "é✓😀"}) + encode_frame({})
        expected = [{"type": "ping"}, {"type": "message", "body": "é✓😀"}, {}]
        for a in range(len(stream) + 1):
            for b in range(a, len(stream) + 1, 5):
                frames, decoder = self.decoder()
                decoder.push(stream[:a])
                decoder.push(stream[a:b])
                decoder.push(stream[b:])
                self.assertEqual(expected, frames, f"split at {a}, {b}")

    def test_length_over_the_limit_fails_before_any_payload(self):
        frames, decoder = self.decoder(16)
        with self.assertRaises(FrameError):
            decoder.push(struct.pack(">i", 0x7FFFFFFF))
        decoder.push(encode_frame({}))
        self.assertEqual([], frames, "nothing is decoded after the error")

    def test_bad_lengths_and_payloads_fail(self):
        bad = [
            struct.pack(">i", 0),
            struct.pack(">i", -1),
            struct.pack(">i", 4) + b'"\xc3\x28"',
            struct.pack(">i", 1) + b"{",
            encode_frame([1, 2]),
        ]
        for data in bad:
            _, decoder = self.decoder()
            with self.assertRaises(FrameError, msg=data.hex()):
                decoder.push(data)


if __name__ == "__main__":
    unittest.main()

    def test_an_err_frame_gives_its_code_wherever_the_bridge_puts_it(self):
        # this bridge: the code in message and code, the sentence in description
        refused = BridgeError.from_frame({"type": "err", "message": "access_denied", "code": "access_denied",
                                          "description": "no permission", "address": "a"})
        self.assertEqual(("access_denied", "no permission"), (refused.code, refused.message))
        # Vert.x's TCP bridge: the code in message only
        plain = BridgeError.from_frame({"type": "err", "message": "access_denied"})
        self.assertEqual(("access_denied", "access_denied"), (plain.code, plain.message))
        # a failed request, from either: message is the failure's own
        failed = BridgeError.from_frame({"type": "err", "address": "r", "sourceAddress": "s", "failureCode": 42,
                                         "failureType": "RECIPIENT_FAILURE", "message": "failed on purpose"})
        self.assertEqual(("recipient_failure", "failed on purpose", 42, "s"),
                         (failed.code, failed.message, failed.failure_code, failed.address))
