package dev.switchboard.shared;

import io.vertx.core.json.JsonObject;

/**
 * An options record of a service: immutable, validated in its constructor, its keys declared once
 * in an {@link OptionsSchema}, and written back to the same JSON its {@code fromJson} reads (the
 * launcher logs that at start, and lists the defaults in {@code --help}).
 */
public interface ServiceOptions {

  /** The settings as their section holds them, secrets hidden; {@code SCHEMA.toJson(this)}. */
  JsonObject toJson();
}
