package dev.switchboard.shared;

import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.cluster.ClusterOptions;
import dev.switchboard.shared.testkit.OptionsChecks;
import dev.switchboard.shared.tracing.TracingOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Options declared once: what a schema reads, writes and describes, and the mistakes it refuses at once. */
class OptionsSchemaTest {

  /** A record with one key of each common kind. */
  record Sample(String host, int port, Duration idleTimeout, List<String> tags, Kind kind) {

    enum Kind { PLAIN, FANCY }

    Sample {
      Require.port("port", port);
      tags = List.copyOf(tags);
    }

    Sample() {
      this("0.0.0.0", 80, Duration.ofSeconds(30), List.of(), Kind.PLAIN);
    }
  }

  /** Held in {@link Outer}'s section, its keys after a prefix. */
  record Inner(String cert, boolean strict) {

    Inner {
      if (strict && cert.isEmpty()) {
        throw new InvalidSettingException("innerStrict", true, "needs innerCert");
      }
    }

    Inner() {
      this("", false);
    }
  }

  record Outer(int port, Inner inner, String token) {

    Outer() {
      this(1, new Inner(), "");
    }
  }

  /** Its own key and its nested record's would both be {@code cert}. */
  record Twice(String cert, Inner inner) {

    Twice() {
      this("", new Inner());
    }
  }

  record Routes(List<Duration> waits) {

    Routes() {
      this(List.of());
    }
  }

  private static final OptionsSchema<Sample> SAMPLE = OptionsSchema.of("sample", Sample.class, Sample::new,
    OptionKey.string("host", "interface"),
    OptionKey.integer("port", "port"),
    OptionKey.duration("idleTimeout", "idle timeout"),
    OptionKey.list("tags", "tags"),
    OptionKey.choice("kind", Sample.Kind.class, "plain or fancy"));

  private static final OptionsSchema<Inner> INNER = OptionsSchema.nested(Inner.class, Inner::new,
    OptionKey.string("cert", "certificate"),
    OptionKey.bool("strict", "strict"));

  private static final OptionsSchema<Outer> OUTER = OptionsSchema.of("outer", Outer.class, Outer::new,
    OptionKey.integer("port", "port"),
    OptionKey.nested("inner", "inner", INNER),
    OptionKey.of("token", String.class, Settings::string, token -> token.isEmpty() ? "" : "(set)", "token").secret());

  @Test
  void readsDefaultsValuesAndWritesThemBackInKeyOrder() {
    assertEquals(new Sample(), SAMPLE.fromJson(new JsonObject()));
    Sample read = SAMPLE.fromJson(new JsonObject().put("port", "8080").put("idleTimeout", "90s").put("tags", "a, b").put("kind", "FANCY"));
    assertEquals(new Sample("0.0.0.0", 8080, Duration.ofSeconds(90), List.of("a", "b"), Sample.Kind.FANCY), read);
    JsonObject written = SAMPLE.toJson(read);
    assertEquals(List.of("host", "port", "idleTimeout", "tags", "kind"), List.copyOf(written.fieldNames()));
    assertEquals("90s", written.getString("idleTimeout"));
    assertEquals("fancy", written.getString("kind"));
    assertEquals(new JsonArray().add("a").add("b"), written.getJsonArray("tags"));
    assertEquals(Map.of("host", "interface", "port", "port", "idleTimeout", "idle timeout", "tags", "tags", "kind", "plain or fancy"),
      SAMPLE.descriptions());
  }

  @Test
  void namesTheSectionAndKeyOfABadValueAsSettingsDoes() {
    assertEquals("sample.port = eighty: must be an integer", refused(SAMPLE, new JsonObject().put("port", "eighty")));
    assertEquals("sample.port = 70000: must be an integer from 0 to 65535", refused(SAMPLE, new JsonObject().put("port", 70000)));
    assertEquals("sample.kind = odd: must be one of plain, fancy", refused(SAMPLE, new JsonObject().put("kind", "odd")));
    assertTrue(refused(SAMPLE, new JsonObject().put("prot", 1)).startsWith("sample.prot = 1: is not a setting of sample (known: "));
  }

  @Test
  void readsANestedRecordsKeysAfterItsPrefixInTheSameSection() {
    assertEquals(Set.of("port", "innerCert", "innerStrict", "token"), OUTER.names());
    Outer read = OUTER.fromJson(new JsonObject().put("innerCert", "c.pem").put("innerStrict", "true"));
    assertEquals(new Inner("c.pem", true), read.inner());
    assertEquals(new JsonObject().put("port", 1).put("innerCert", "c.pem").put("innerStrict", true).put("token", ""), OUTER.toJson(read));
    assertEquals("outer.innerStrict = true: needs innerCert", refused(OUTER, new JsonObject().put("innerStrict", true)));
    assertTrue(refused(OUTER, new JsonObject().put("cert", "c.pem")).startsWith("outer.cert = c.pem: is not a setting of outer"));
    assertThrows(IllegalStateException.class, () -> INNER.fromJson(new JsonObject()), "a nested record has no section to read");
  }

  @Test
  void writesASecretHiddenAndSaysItDoesNotReadBack() {
    Outer read = OUTER.fromJson(new JsonObject().put("token", "s3cr3t"));
    assertEquals("s3cr3t", read.token());
    assertEquals("(set)", OUTER.toJson(read).getString("token"));
    assertEquals(Set.of("token"), OUTER.secrets());
  }

  @Test
  void namesTheKeyAndLineAParserRefuses() {
    OptionsSchema<Routes> schema = OptionsSchema.of("routes", Routes.class, Routes::new,
      OptionKey.lines("waits", Duration.class, OptionsSchemaTest::wait, Settings::format, "waits"));
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofMinutes(2)), schema.fromJson(new JsonObject().put("waits", "1s, 2m")).waits());
    assertEquals("routes.waits = soon: is not a duration", refused(schema, new JsonObject().put("waits", "1s, soon")));
    // A parser's own setting error (which may hide a secret) is passed on as it is.
    assertEquals("routes.waits = (hidden): too long", refused(schema, new JsonObject().put("waits", "99h")));
  }

  @Test
  void refusesKeysThatDoNotMatchTheRecordWhenDeclared() {
    String missing = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("sample", Sample.class, Sample::new,
      OptionKey.string("host", "interface"),
      OptionKey.integer("port", "port"),
      OptionKey.duration("idleTimeout", "idle timeout"),
      OptionKey.list("tags", "tags"))).getMessage();
    assertEquals("Sample: component kind has no key in the schema", missing);
    String swapped = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("sample", Sample.class, Sample::new,
      OptionKey.integer("port", "port"),
      OptionKey.string("host", "interface"),
      OptionKey.duration("idleTimeout", "idle timeout"),
      OptionKey.list("tags", "tags"),
      OptionKey.choice("kind", Sample.Kind.class, "kind"))).getMessage();
    assertEquals("Sample: key 1 is port but component 1 is host (one key per component, in the same order)", swapped);
    String type = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("sample", Sample.class, Sample::new,
      OptionKey.string("host", "interface"),
      OptionKey.longValue("port", "port"),
      OptionKey.duration("idleTimeout", "idle timeout"),
      OptionKey.list("tags", "tags"),
      OptionKey.choice("kind", Sample.Kind.class, "kind"))).getMessage();
    assertEquals("Sample.port: the component is int, its key reads long", type);
    String element = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("routes", Routes.class, Routes::new,
      OptionKey.list("waits", "waits"))).getMessage();
    assertEquals("Routes.waits: the component is java.util.List<java.time.Duration>, its key reads a list of String", element);
    String twice = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("twice", Twice.class, Twice::new,
      OptionKey.string("cert", "certificate"),
      OptionKey.nested("inner", "", INNER))).getMessage();
    assertEquals("key cert is declared twice in one section", twice);
    assertThrows(IllegalArgumentException.class, () -> OptionKey.string("host", " "), "a key without a description");
  }

  @Test
  void refusesAnEveryDefaultConstructorThatFails() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> OptionsSchema.of("sample", Sample.class,
      () -> new Sample("0.0.0.0", -1, Duration.ofSeconds(1), List.of(), Sample.Kind.PLAIN),
      OptionKey.string("host", "interface"),
      OptionKey.integer("port", "port"),
      OptionKey.duration("idleTimeout", "idle timeout"),
      OptionKey.list("tags", "tags"),
      OptionKey.choice("kind", Sample.Kind.class, "kind")));
    assertTrue(e.getMessage().startsWith("Sample: the every-default constructor fails"), e.getMessage());
  }

  @Test
  void theCommonSectionsReadBackAndDescribeEveryKey() {
    OptionsChecks.readsBackAndDescribesEveryKey(ClusterOptions.SCHEMA, new ClusterOptions("ops", "10.0.0.5", 5801, 10,
      List.of("10.0.0.6:5801"), ClusterOptions.Discovery.KUBERNETES, "switchboard.default.svc", ClusterOptions.Backups.HOST,
      7100, "cluster.pem", "cluster.key", "ca.pem"));
    OptionsChecks.readsBackAndDescribesEveryKey(ShutdownOptions.SCHEMA, new ShutdownOptions(Duration.ofSeconds(30)));
    OptionsChecks.readsBackAndDescribesEveryKey(IngressOptions.SCHEMA,
      new IngressOptions(Duration.ofSeconds(2), List.of("10.0.0.0/8", "127.0.0.1"), IngressOptions.AccessLogFormat.COMMON));
    OptionsChecks.readsBackAndDescribesEveryKey(AuthOptions.SCHEMA,
      new AuthOptions("jwks.json", "https://issuer.example.com", List.of("api", "chat"), Duration.ofSeconds(10), Duration.ofMinutes(1)));
    OptionsChecks.readsBackAndDescribesEveryKey(TracingOptions.SCHEMA,
      new TracingOptions("http://127.0.0.1:4318/v1/traces", 0.25, TracingOptions.Protocol.OTLP));
  }

  private static Duration wait(String text) {
    Duration parsed = Settings.parseDuration(text);
    if (parsed == null) {
      throw new IllegalArgumentException("is not a duration");
    }
    if (parsed.compareTo(Duration.ofHours(1)) > 0) {
      throw new InvalidSettingException("waits", "(hidden)", "too long");
    }
    return parsed;
  }

  private static String refused(OptionsSchema<?> schema, JsonObject json) {
    return assertThrows(InvalidSettingException.class, () -> schema.fromJson(json)).getMessage();
  }
}
