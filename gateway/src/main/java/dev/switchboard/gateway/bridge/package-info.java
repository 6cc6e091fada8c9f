/**
 * Browsers on the cluster's event bus: the SockJS bridge at {@code /eventbus}, with the addresses
 * the configuration permits.
 */
package dev.switchboard.gateway.bridge;
