package dev.switchboard.files;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.OptionsChecks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading, validating and writing the {@code files} section. */
class FilesOptionsTest {

  @Test
  void readsEveryDefaultFromAnEmptySection() {
    FilesOptions options = FilesOptions.fromJson(new JsonObject());
    assertEquals(new FilesOptions(), options);
    assertEquals(3001, options.port());
    assertEquals("files", options.root());
    assertEquals(4L << 30, options.maxUploadSize());
    assertEquals(16, options.maxTransfersPerClient());
    assertEquals(Duration.ofSeconds(30), options.idleTimeout());
    assertEquals(100, options.pageSize());
    assertFalse(options.hasToken());
  }

  @Test
  void readsStringsAsEnvironmentVariablesGiveThem() {
    FilesOptions options = FilesOptions.fromJson(new JsonObject().put("port", "8001").put("maxUploadSize", "1024")
      .put("idleTimeout", "5m").put("token", "abcdefghijklmnop").put("pageSize", "7"));
    assertEquals(8001, options.port());
    assertEquals(1024, options.maxUploadSize());
    assertEquals(Duration.ofMinutes(5), options.idleTimeout());
    assertTrue(options.hasToken());
    assertEquals(7, options.pageSize());
  }

  @Test
  void survivesARoundTripThroughJsonWithoutAToken() {
    FilesOptions options = FilesOptions.fromJson(new JsonObject().put("host", "127.0.0.1").put("port", 1).put("root", "/srv/x")
      .put("maxUploadSize", 5).put("maxTransfersPerClient", 3).put("idleTimeout", "90s").put("pageSize", 9));
    assertEquals(options, FilesOptions.fromJson(options.toJson()));
  }

  @Test
  void neverWritesTheTokenOut() {
    FilesOptions options = FilesOptions.fromJson(new JsonObject().put("token", "s3cr3t-s3cr3t-s3cr3t"));
    assertEquals("(set)", options.toJson().getString("token"));
    assertFalse(options.toString().contains("s3cr3t"));
  }

  @Test
  void describesEverySetting() {
    assertEquals(new FilesOptions().toJson().fieldNames(), FilesOptions.SCHEMA.descriptions().keySet());
  }

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    // The token is written as (set), so it stays at its default here; neverWritesTheTokenOut covers it.
    OptionsChecks.readsBackAndDescribesEveryKey(FilesOptions.SCHEMA,
      new FilesOptions("127.0.0.1", 1, "shared-files", 5, 3, Duration.ofSeconds(90), "", 9, "files:admin"));
  }

  @Test
  void rejectsInvalidValuesNamingTheSetting() {
    assertEquals("files.port", rejected(new JsonObject().put("port", 70000)));
    assertEquals("files.root", rejected(new JsonObject().put("root", " ")));
    assertEquals("files.maxUploadSize", rejected(new JsonObject().put("maxUploadSize", 0)));
    assertEquals("files.maxTransfersPerClient", rejected(new JsonObject().put("maxTransfersPerClient", 0)));
    assertEquals("files.idleTimeout", rejected(new JsonObject().put("idleTimeout", "0s")));
    assertEquals("files.token", rejected(new JsonObject().put("token", "short")));
    assertEquals("files.token", rejected(new JsonObject().put("token", "has spaces in it, sixteen+")));
    assertEquals("files.pageSize", rejected(new JsonObject().put("pageSize", FilesOptions.MAX_PAGE_SIZE + 1)));
    assertEquals("files.rot", rejected(new JsonObject().put("rot", "x")));
  }

  @Test
  void neverShowsARejectedTokenInTheError() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> FilesOptions.fromJson(new JsonObject().put("token", "short secret")));
    assertFalse(e.getMessage().contains("short secret"), e.getMessage());
  }

  private static String rejected(JsonObject json) {
    return assertThrows(InvalidSettingException.class, () -> FilesOptions.fromJson(json)).key();
  }
}
