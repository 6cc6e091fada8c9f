/**
 * Test kit for the service modules (shipped as this module's test-jar): start a service on port 0
 * in the test's Vert.x, and start an N-node Hazelcast cluster on loopback in one JVM.
 */
package dev.switchboard.shared.testkit;
