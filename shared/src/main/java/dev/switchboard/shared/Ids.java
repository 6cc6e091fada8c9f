package dev.switchboard.shared;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Identifiers that must be unique, not unguessable: request ids, message ids, multipart boundaries. */
public final class Ids {

  private Ids() {
  }

  /**
   * A random (version 4) UUID from a thread-local generator. {@link UUID#randomUUID()} draws from a
   * SecureRandom shared by every thread, which costs a lock and a system call per id on an event
   * loop. Never use these for secrets, tokens or names an attacker must not guess.
   */
  public static UUID randomUuid() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low);
  }
}
