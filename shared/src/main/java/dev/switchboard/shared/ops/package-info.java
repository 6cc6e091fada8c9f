/**
 * Operations endpoints every service answers — {@code /health}, {@code /ready}, {@code /metrics} —
 * and the metrics setup behind them.
 */
package dev.switchboard.shared.ops;
