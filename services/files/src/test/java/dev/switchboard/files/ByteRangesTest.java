package dev.switchboard.files;

import dev.switchboard.files.ByteRanges.Range;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Range header parser alone. */
class ByteRangesTest {

  @Test
  void readsEachSingleForm() {
    assertEquals(List.of(new Range(0, 9)), ByteRanges.parse("bytes=0-9", 100));
    assertEquals(List.of(new Range(90, 99)), ByteRanges.parse("bytes=90-", 100));
    assertEquals(List.of(new Range(90, 99)), ByteRanges.parse("bytes=-10", 100));
    assertEquals(List.of(new Range(5, 5)), ByteRanges.parse("BYTES = 5-5", 100));
  }

  @Test
  void clampsRangesPastTheEnd() {
    assertEquals(List.of(new Range(50, 99)), ByteRanges.parse("bytes=50-1000", 100));
    assertEquals(List.of(new Range(0, 99)), ByteRanges.parse("bytes=-1000", 100));
    assertEquals(List.of(new Range(0, 99)), ByteRanges.parse("bytes=0-99999999999999999999999", 100));
  }

  @Test
  void findsUnsatisfiableRanges() {
    assertEquals(List.of(), ByteRanges.parse("bytes=100-", 100));
    assertEquals(List.of(), ByteRanges.parse("bytes=-0", 100));
    assertEquals(List.of(), ByteRanges.parse("bytes=0-", 0));
    assertEquals(List.of(), ByteRanges.parse("bytes=-5", 0));
    assertEquals(List.of(), ByteRanges.parse("bytes=200-300,400-", 100));
  }

  @Test
  void ignoresHeadersThatDoNotParse() {
    for (String bad : List.of("bytes=", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=1", "bytes=--1", "bytes=-1-2", "0-1",
      "bytes=0-1," + "2-3,".repeat(ByteRanges.MAX_RANGES))) {
      assertNull(ByteRanges.parse(bad, 100), bad);
    }
  }

  @Test
  void keepsTheOrderOfDisjointRangesAndMergesOverlappingOnes() {
    assertEquals(List.of(new Range(50, 59), new Range(0, 9)), ByteRanges.parse("bytes=50-59, 0-9", 100));
    assertEquals(List.of(new Range(0, 19), new Range(50, 59)), ByteRanges.parse("bytes=50-59,10-19,0-15", 100));
    assertEquals(List.of(new Range(0, 99)), ByteRanges.parse("bytes=0-,-10", 100));
  }
}
