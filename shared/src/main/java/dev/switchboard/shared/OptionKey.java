package dev.switchboard.shared;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One setting of an options record, declared once in its {@link OptionsSchema}: the key, how its
 * value is read from the configuration and written back, and the line {@code --help} shows for it.
 * The key is also the name of the record component it fills (the schema checks that), and the
 * environment variable follows from it ({@code idleTimeout} in section {@code echo} is
 * {@code SWITCHBOARD_ECHO_IDLE_TIMEOUT}). Its default is the component's value in the record's
 * every-default constructor.
 *
 * @param <T> the component's type ({@code Integer} for an {@code int})
 */
public final class OptionKey<T> {

  /** Reads a key's value, or gives {@code defaultValue} when the section does not set it. */
  @FunctionalInterface
  public interface Reader<T> {

    /**
     * @param settings     the section being read
     * @param key          the key as it appears in the section (with the prefix of a nested record)
     * @param defaultValue the value when the section does not set the key
     */
    T read(Settings settings, String key, T defaultValue);
  }

  private final String name;
  private final Class<?> type;
  /** The element type of a list, checked against the component's generic type; null for other keys. */
  private final Class<?> element;
  private final Reader<T> reader;
  private final Function<? super T, ?> writer;
  private final String description;
  /** Written hidden, so what is written does not read back. */
  private final boolean secret;
  /** A nested record whose keys sit in this section, or null for a key of one value. */
  private final OptionsSchema<T> nested;
  /** Put before each key of the nested record. */
  private final String prefix;

  private OptionKey(String name, Class<?> type, Class<?> element, Reader<T> reader, Function<? super T, ?> writer,
                    String description, boolean secret, OptionsSchema<T> nested, String prefix) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.element = element;
    this.reader = reader;
    this.writer = writer;
    this.description = description;
    this.secret = secret;
    this.nested = nested;
    this.prefix = prefix;
  }

  private static <T> OptionKey<T> simple(String name, Class<?> type, Class<?> element, Reader<T> reader,
                                         Function<? super T, ?> writer, String description) {
    if (description == null || description.isBlank()) {
      throw new IllegalArgumentException("option key " + name + " needs a description: it is what --help shows");
    }
    return new OptionKey<>(name, type, element, reader, writer, description, false, null, "");
  }

  /** A string, written as it is. */
  public static OptionKey<String> string(String name, String description) {
    return simple(name, String.class, null, Settings::string, Function.identity(), description);
  }

  /** An {@code int}; see {@link Settings#integer}. */
  public static OptionKey<Integer> integer(String name, String description) {
    return simple(name, int.class, null, Settings::integer, Function.identity(), description);
  }

  /** A {@code long}; see {@link Settings#longValue}. */
  public static OptionKey<Long> longValue(String name, String description) {
    return simple(name, long.class, null, Settings::longValue, Function.identity(), description);
  }

  /** A {@code double}; see {@link Settings#decimal}. */
  public static OptionKey<Double> decimal(String name, String description) {
    return simple(name, double.class, null, Settings::decimal, Function.identity(), description);
  }

  /** A {@code boolean}; see {@link Settings#bool}. */
  public static OptionKey<Boolean> bool(String name, String description) {
    return simple(name, boolean.class, null, Settings::bool, Function.identity(), description);
  }

  /** A duration, written as {@link Settings#format} does ({@code 30s}, {@code 5m}). */
  public static OptionKey<Duration> duration(String name, String description) {
    return simple(name, Duration.class, null, Settings::duration, Settings::format, description);
  }

  /** A {@code long} number of bytes, written as {@link Settings#formatSize} does ({@code 10m}, {@code 4g}). */
  public static OptionKey<Long> size(String name, String description) {
    return simple(name, long.class, null, Settings::size, Settings::formatSize, description);
  }

  /** One of an enum's constants, written in lower case. */
  public static <E extends Enum<E>> OptionKey<E> choice(String name, Class<E> type, String description) {
    return simple(name, type, null, (settings, key, defaultValue) -> settings.choice(key, defaultValue, type),
      value -> value.name().toLowerCase(Locale.ROOT), description);
  }

  /** A list of strings (a JSON array, or one comma-separated string), written as a JSON array. */
  public static OptionKey<List<String>> list(String name, String description) {
    return simple(name, List.class, String.class, Settings::list, values -> new JsonArray(new ArrayList<>(values)), description);
  }

  /**
   * A list of one-line settings, each read by {@code parse} and written by {@code format} (a route,
   * a permission). A line that {@code parse} refuses with an {@link IllegalArgumentException} is an
   * {@link InvalidSettingException} naming the key, the line and the parser's message; one it
   * refuses with an {@link InvalidSettingException} of its own (which may hide a secret) is passed on.
   */
  public static <E> OptionKey<List<E>> lines(String name, Class<E> element, Function<String, ? extends E> parse,
                                              Function<? super E, String> format, String description) {
    Reader<List<E>> reader = (settings, key, defaultValue) -> {
      List<String> lines = settings.list(key, null);
      return lines == null ? defaultValue : parseLines(key, lines, parse);
    };
    Function<List<E>, Object> writer = values -> new JsonArray(values.stream().map(format).toList());
    return simple(name, List.class, element, reader, writer, description);
  }

  /** A key of any other type, read and written as given. */
  public static <V> OptionKey<V> of(String name, Class<V> type, Reader<V> reader, Function<? super V, ?> writer, String description) {
    return simple(name, type, null, Objects.requireNonNull(reader, "reader"), Objects.requireNonNull(writer, "writer"), description);
  }

  /**
   * A record of options held in this one, whose keys sit in the same section rather than in a
   * section of their own, each after {@code prefix} ({@code tls} and {@code cert} make
   * {@code tlsCert}; an empty prefix keeps the keys as they are).
   *
   * @param name   the record component that holds the nested record
   * @param prefix put before each of its keys; may be empty
   * @param schema the nested record's keys
   */
  public static <V> OptionKey<V> nested(String name, String prefix, OptionsSchema<V> schema) {
    Objects.requireNonNull(schema, "schema");
    return new OptionKey<>(name, schema.type(), null, null, null, null, false, schema, Objects.requireNonNull(prefix, "prefix"));
  }

  /**
   * This key, marked as one whose writer hides the value (a token written as {@code (set)}), so
   * that it never reaches a log line or {@code --help}: what is written does not read back.
   */
  public OptionKey<T> secret() {
    if (nested != null) {
      throw new IllegalStateException("a nested record's keys are secret each on their own");
    }
    return new OptionKey<>(name, type, element, reader, writer, description, true, null, prefix);
  }

  /** The name of the key, and of the record component it fills. */
  public String name() {
    return name;
  }

  /** The type of the record component it fills. */
  Class<?> type() {
    return type;
  }

  /** The element type when the component is a list, else null. */
  Class<?> element() {
    return element;
  }

  T read(Settings settings, String outerPrefix, T defaultValue) {
    if (nested != null) {
      return nested.read(settings, join(outerPrefix, prefix), defaultValue);
    }
    return reader.read(settings, join(outerPrefix, name), defaultValue);
  }

  void write(T value, JsonObject json, String outerPrefix) {
    if (nested != null) {
      nested.write(value, json, join(outerPrefix, prefix));
    } else {
      json.put(join(outerPrefix, name), writer.apply(value));
    }
  }

  /** Adds each key as it appears in the section, with its description. */
  void describe(Map<String, String> descriptions, String outerPrefix) {
    if (nested != null) {
      nested.describe(descriptions, join(outerPrefix, prefix));
    } else if (descriptions.put(join(outerPrefix, name), description) != null) {
      throw new IllegalStateException("key " + join(outerPrefix, name) + " is declared twice in one section");
    }
  }

  /** Adds each key that is written hidden. */
  void secrets(Set<String> secrets, String outerPrefix) {
    if (nested != null) {
      nested.secrets(secrets, join(outerPrefix, prefix));
    } else if (secret) {
      secrets.add(join(outerPrefix, name));
    }
  }

  /** {@code tls} and {@code cert} make {@code tlsCert}. */
  static String join(String prefix, String name) {
    if (prefix.isEmpty()) {
      return name;
    }
    if (name.isEmpty()) {
      return prefix;
    }
    return prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  private static <E> List<E> parseLines(String key, List<String> lines, Function<String, ? extends E> parse) {
    List<E> parsed = new ArrayList<>();
    for (String line : lines) {
      try {
        parsed.add(parse.apply(line));
      } catch (InvalidSettingException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException(key, line, e.getMessage());
      }
    }
    return parsed;
  }
}
