/**
 * TCP helpers for services built on {@code NetServer}.
 */
package dev.switchboard.shared.net;
