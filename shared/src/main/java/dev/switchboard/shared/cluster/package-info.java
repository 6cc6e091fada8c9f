/**
 * Clustering over Hazelcast: the options that choose how members find each other (TCP/IP on
 * loopback by default, Kubernetes DNS discovery in pods), the Hazelcast configuration built from
 * them, and the event bus between nodes (its port, and TLS with a cluster certificate:
 * {@link dev.switchboard.shared.cluster.EventBusConfigs}).
 */
package dev.switchboard.shared.cluster;
