/**
 * The cluster's directory of service processes: each process announces its endpoints when it is up
 * and withdraws them when it drains ({@link dev.switchboard.shared.registry.ServiceRegistry}); a
 * reader such as the gateway keeps a live view that forgets a node the moment it leaves the
 * cluster ({@link dev.switchboard.shared.registry.ServiceDirectory}).
 */
package dev.switchboard.shared.registry;
