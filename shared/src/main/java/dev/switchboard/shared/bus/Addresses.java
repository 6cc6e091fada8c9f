package dev.switchboard.shared.bus;

/**
 * Event bus addresses served by Switchboard services.
 */
public final class Addresses {

  /**
   * Request/reply: the echo service answers with the request body unchanged (any body type the bus
   * carries: string, JSON, buffer).
   */
  public static final String ECHO = "echo";

  private Addresses() {
  }
}
