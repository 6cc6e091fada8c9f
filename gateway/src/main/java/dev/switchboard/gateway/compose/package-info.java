/**
 * Endpoints the gateway answers itself from the services: bus routes (one bus request each) and the
 * BFF endpoints of each front-end (parts asked in parallel, composed into one answer).
 */
package dev.switchboard.gateway.compose;
