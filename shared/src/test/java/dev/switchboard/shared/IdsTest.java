package dev.switchboard.shared;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdsTest {

  @Test
  void randomUuidsAreVersionFourVariantTwoAndDistinct() {
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      UUID id = Ids.randomUuid();
      assertEquals(4, id.version(), id.toString());
      assertEquals(2, id.variant(), id.toString());
      assertEquals(id, UUID.fromString(id.toString()));
      assertTrue(seen.add(id), "repeated " + id);
    }
  }
}
