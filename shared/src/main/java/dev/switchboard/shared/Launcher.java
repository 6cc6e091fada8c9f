package dev.switchboard.shared;

import dev.switchboard.shared.impl.SwitchboardApplication;

/**
 * The {@code main} of every service's fat jar. It is the Vert.x launcher
 * ({@code vertx-launcher-application}) with Switchboard's hooks: configuration from file,
 * environment and system properties into the service's options record, Hazelcast clustering with
 * {@code -cluster}, one verticle instance per core by default, metrics, and a graceful exit on
 * SIGTERM.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   Launcher.launch(args, EchoVerticle.DEFINITION);
 * }
 * }</pre>
 */
public final class Launcher {

  private Launcher() {
  }

  /** Starts the service and returns once it is deployed; exits the JVM with a non-zero code if it cannot start. */
  public static void launch(String[] args, ServiceDefinition<?> service) {
    new SwitchboardApplication<>(args, service).launch();
  }
}
