package dev.switchboard.http;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.OptionsChecks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading, validating and writing the {@code http} section. */
class HttpOptionsTest {

  @Test
  void readsEveryDefaultFromAnEmptySection() {
    HttpOptions options = HttpOptions.fromJson(new JsonObject());
    assertEquals(new HttpOptions(), options);
    assertEquals(3000, options.port());
    assertEquals("0.0.0.0", options.host());
    assertEquals(1L << 30, options.maxBodySize());
    assertEquals(8192, options.maxHeaderSize());
    assertEquals(Duration.ofSeconds(5), options.busTimeout());
    assertEquals(6, options.compressionLevel());
  }

  @Test
  void readsStringsAsEnvironmentVariablesGiveThem() {
    HttpOptions options = HttpOptions.fromJson(new JsonObject()
      .put("port", "8080").put("maxBodySize", "1048576").put("idleTimeout", "30s").put("busTimeout", "250ms"));
    assertEquals(8080, options.port());
    assertEquals(1_048_576L, options.maxBodySize());
    assertEquals(Duration.ofSeconds(30), options.idleTimeout());
    assertEquals(Duration.ofMillis(250), options.busTimeout());
  }

  @Test
  void survivesARoundTripThroughJson() {
    HttpOptions options = HttpOptions.fromJson(new JsonObject()
      .put("host", "127.0.0.1").put("port", 1).put("maxBodySize", 5).put("maxHeaderSize", 2048)
      .put("idleTimeout", "90s").put("busTimeout", "1500ms").put("compressionLevel", 9));
    assertEquals(options, HttpOptions.fromJson(options.toJson()));
  }

  @Test
  void describesEverySetting() {
    assertEquals(new HttpOptions().toJson().fieldNames(), HttpOptions.SCHEMA.descriptions().keySet());
  }

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    OptionsChecks.readsBackAndDescribesEveryKey(HttpOptions.SCHEMA,
      new HttpOptions("127.0.0.1", 1, 5, 2048, Duration.ofSeconds(90), Duration.ofMillis(1500), 9, true));
  }

  @Test
  void rejectsInvalidValuesNamingTheSetting() {
    assertEquals("http.port", rejected(new JsonObject().put("port", 70000)));
    assertEquals("http.port", rejected(new JsonObject().put("port", "eighty")));
    assertEquals("http.maxBodySize", rejected(new JsonObject().put("maxBodySize", 0)));
    assertEquals("http.maxHeaderSize", rejected(new JsonObject().put("maxHeaderSize", HttpOptions.MAX_HEADER_SIZE_LIMIT + 1)));
    assertEquals("http.idleTimeout", rejected(new JsonObject().put("idleTimeout", "0s")));
    assertEquals("http.busTimeout", rejected(new JsonObject().put("busTimeout", "soon")));
    assertEquals("http.compressionLevel", rejected(new JsonObject().put("compressionLevel", 10)));
    assertEquals("http.host", rejected(new JsonObject().put("host", " ")));
  }

  @Test
  void rejectsAnUnknownKeyInsteadOfIgnoringIt() {
    assertEquals("http.compresionLevel", rejected(new JsonObject().put("compresionLevel", 5)));
  }

  private static String rejected(JsonObject json) {
    return assertThrows(InvalidSettingException.class, () -> HttpOptions.fromJson(json)).key();
  }
}
