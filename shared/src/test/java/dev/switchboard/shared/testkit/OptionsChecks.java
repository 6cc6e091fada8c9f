package dev.switchboard.shared.testkit;

import dev.switchboard.shared.OptionsSchema;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * What every options record holds, checked through its {@link OptionsSchema}: each module calls
 * {@link #readsBackAndDescribesEveryKey} from its options test, for each record with a section of
 * its own (a nested record is checked with the one that holds it).
 */
public final class OptionsChecks {

  private OptionsChecks() {
  }

  /**
   * Checks that every key has a description and is what {@code toJson} writes, that an empty
   * section reads as the defaults, and that {@code fromJson(toJson(x))} equals {@code x} for the
   * defaults and for {@code sample}.
   *
   * @param sample options that differ from the defaults in every key, so that each key's reading
   *               and writing is exercised; except the secret keys, which are written hidden and
   *               so cannot read back, and must stay at their defaults here
   */
  public static <R> void readsBackAndDescribesEveryKey(OptionsSchema<R> schema, R sample) {
    String section = schema.section();
    R defaults = schema.defaults();
    JsonObject defaultsJson = schema.toJson(defaults);
    JsonObject sampleJson = schema.toJson(sample);

    schema.descriptions().forEach((key, line) ->
      assertFalse(line == null || line.isBlank(), section + "." + key + " has no description for --help"));
    assertEquals(List.copyOf(schema.names()), new ArrayList<>(defaultsJson.fieldNames()),
      section + ": toJson writes other keys than the schema describes");

    assertEquals(defaults, schema.fromJson(new JsonObject()), section + ": an empty section does not read as the defaults");
    assertEquals(defaults, schema.fromJson(defaultsJson), section + ": the defaults do not read back from " + defaultsJson.encode());

    for (String key : schema.names()) {
      if (schema.secrets().contains(key)) {
        assertEquals(defaultsJson.getValue(key), sampleJson.getValue(key),
          section + "." + key + " is written hidden and cannot read back: leave it at its default in the sample");
      } else {
        assertNotEquals(defaultsJson.getValue(key), sampleJson.getValue(key),
          section + "." + key + " is at its default in the sample: set it, so that its reading and writing are checked");
      }
    }
    assertEquals(sample, schema.fromJson(sampleJson), section + ": the sample does not read back from " + sampleJson.encode());
    assertEquals(sampleJson, schema.toJson(schema.fromJson(sampleJson)), section + ": the sample reads back, but is written differently");
  }
}
