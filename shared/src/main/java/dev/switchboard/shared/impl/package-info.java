/**
 * Machinery behind {@link dev.switchboard.shared.Launcher}: the launcher hooks and the
 * configuration loader.
 */
package dev.switchboard.shared.impl;
