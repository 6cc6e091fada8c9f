/**
 * Clustering over Hazelcast: the options that choose how members find each other (TCP/IP on
 * loopback by default, Kubernetes DNS discovery in pods) and the Hazelcast configuration built
 * from them.
 */
package dev.switchboard.shared.cluster;
