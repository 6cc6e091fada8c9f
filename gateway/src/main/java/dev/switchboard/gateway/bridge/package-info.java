/**
 * Browsers on the cluster's event bus: the SockJS bridge at {@code /eventbus}, with the addresses
 * the configuration permits, and who is on each socket when tokens are asked for.
 */
package dev.switchboard.gateway.bridge;
