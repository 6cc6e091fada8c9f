package dev.switchboard.files;

import dev.switchboard.files.RequestPath.BadPathException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The path parser alone: what it accepts and what it refuses, with no socket and no file system. */
class RequestPathTest {

  @Test
  void splitsAndDecodesNames() {
    RequestPath path = RequestPath.parseEncoded("a%20b/c%C3%A9.txt");
    assertEquals(List.of("a b", "cé.txt"), path.names());
    assertFalse(path.trailingSlash());
    assertEquals("a b/cé.txt", path.relative());
  }

  @Test
  void keepsATrailingSlashAndTheEmptyRoot() {
    assertTrue(RequestPath.parseEncoded("dir/").trailingSlash());
    assertEquals(List.of(), RequestPath.parseEncoded("").names());
  }

  @Test
  void refusesEveryClimbingOrMalformedForm() {
    for (String bad : List.of("..", "a/..", "../a", ".", "a/./b", "%2e%2e", "%2E%2e/x", "a%2fb", "a%5cb", "a\\b",
      "%252e%252e", "a%00", "a%0a", "a//b", "/abs", "%", "%4", "%zz", "%c0%ae", "%ff", "é", "a\u0000b")) {
      assertThrows(BadPathException.class, () -> RequestPath.parseEncoded(bad), bad);
    }
  }

  @Test
  void refusesNamesLongerThanAFileSystemAllowsAndTreesTooDeep() {
    assertThrows(BadPathException.class, () -> RequestPath.parseEncoded("a".repeat(RequestPath.MAX_NAME_BYTES + 1)));
    RequestPath.parseEncoded("a".repeat(RequestPath.MAX_NAME_BYTES));
    assertThrows(BadPathException.class, () -> RequestPath.parseEncoded("a/".repeat(RequestPath.MAX_DEPTH + 1) + "a"));
  }

  @Test
  void marksHiddenNames() {
    assertTrue(RequestPath.parseEncoded("a/.b").hidden());
    assertTrue(RequestPath.parseEncoded("%2eupload-x.tmp").hidden());
    assertFalse(RequestPath.parseEncoded("a/b.c").hidden());
  }

  @Test
  void decodedPathsFromTheBusFollowTheSameRules() {
    assertEquals(List.of("a", "b"), RequestPath.parseDecoded("a/b/").names());
    for (String bad : List.of("..", "a/../b", "a\\b", "a%2e", "/a", "a\u0000")) {
      assertThrows(BadPathException.class, () -> RequestPath.parseDecoded(bad), bad);
    }
  }
}
