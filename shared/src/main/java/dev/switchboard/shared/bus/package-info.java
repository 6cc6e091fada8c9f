/**
 * The event bus contract between services: addresses and message shapes live here, in one place,
 * so that services meet on the bus without depending on each other.
 */
package dev.switchboard.shared.bus;
