/**
 * TLS at the gateway: the certificate its public port and TCP routes serve, reloaded when its files
 * change ({@link dev.switchboard.gateway.tls.Certificates}), and the plain port that sends clients to
 * HTTPS ({@link dev.switchboard.gateway.tls.HttpsRedirect}).
 */
package dev.switchboard.gateway.tls;
