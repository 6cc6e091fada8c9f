/**
 * The toolkit every Switchboard service is built from: a {@link dev.switchboard.shared.ServiceDefinition}
 * names the service, its options record and its verticle, and {@link dev.switchboard.shared.Launcher}
 * turns that into a runnable fat jar with configuration, clustering, operations endpoints and
 * graceful shutdown.
 */
package dev.switchboard.shared;
