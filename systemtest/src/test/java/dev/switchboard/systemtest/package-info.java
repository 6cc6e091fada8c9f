/**
 * System tests: every fat jar started with {@code java -jar} as its own process and probed over
 * real sockets, alone and clustered.
 */
package dev.switchboard.systemtest;
