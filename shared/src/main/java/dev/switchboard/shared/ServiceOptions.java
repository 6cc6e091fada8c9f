package dev.switchboard.shared;

import io.vertx.core.json.JsonObject;

/**
 * An options record of a service: immutable, validated in its constructor, and written back to
 * the same JSON its {@code fromJson} reads (the launcher uses that to list defaults in
 * {@code --help} and to name environment variables).
 */
public interface ServiceOptions {

  JsonObject toJson();
}
