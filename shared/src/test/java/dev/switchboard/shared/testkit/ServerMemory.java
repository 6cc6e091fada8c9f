package dev.switchboard.shared.testkit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Readings of a server's memory for tests that must show a server did not take in what it was
 * sent: {@link #allocated()} grows with everything the server allocates (so a burst it allocated
 * and freed again still shows), {@link #retained()} is what it holds now. Either is -1 when it
 * cannot be read; checks then skip it.
 *
 * <p>Both count the Java heap only: Netty's pools take direct memory from the system in chunks of
 * a few MiB the first time a connection needs them, a step unrelated to what a case sends. A
 * server that queues frames or inflates a payload allocates heap objects for each of them too.
 */
public interface ServerMemory {

  /** Heap bytes allocated so far by every thread; -1 if unknown. */
  long allocated();

  /** Heap in use after a full collection; -1 if unknown. */
  long retained();

  /** For a server that is not in this JVM and reports nothing. */
  static ServerMemory unknown() {
    return new ServerMemory() {
      @Override
      public long allocated() {
        return -1;
      }

      @Override
      public long retained() {
        return -1;
      }
    };
  }

  /**
   * For a server running in the test's own JVM (everything the test does counts too, so keep
   * what the test allocates between two readings small).
   */
  static ServerMemory thisJvm() {
    return new ServerMemory() {
      @Override
      public long allocated() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!(threads instanceof com.sun.management.ThreadMXBean hotspot) || !hotspot.isThreadAllocatedMemoryEnabled()) {
          return -1;
        }
        long total = 0;
        for (long bytes : hotspot.getThreadAllocatedBytes(threads.getAllThreadIds())) {
          total += Math.max(0, bytes);
        }
        return total;
      }

      @Override
      public long retained() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      }
    };
  }
}
