package dev.switchboard.shared;

import io.vertx.core.json.JsonObject;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The settings of an options record, each declared once as an {@link OptionKey}, one key per record
 * component and in the same order. Everything else follows from that list: {@link #fromJson} (with
 * the defaults, and the errors {@link Settings} gives for a bad value or an unknown key),
 * {@link #toJson}, the lines of {@code --help} and the names of the environment variables.
 * <p>
 * A record declares its schema after the constants its every-default constructor uses, and
 * delegates to it:
 * <pre>{@code
 * public static final OptionsSchema<HelloOptions> SCHEMA = OptionsSchema.of("hello", HelloOptions.class, HelloOptions::new,
 *   OptionKey.string("host", "interface to listen on"),
 *   OptionKey.integer("port", "HTTP port"));
 *
 * public static HelloOptions fromJson(JsonObject json) {
 *   return SCHEMA.fromJson(json);
 * }
 * }</pre>
 * The record is built through its canonical constructor, so its checks stay where they are. A
 * schema whose keys do not match the record's components (one forgotten, misspelt, out of order or
 * of another type) fails when the record's class is initialised, before any configuration is read.
 *
 * @param <R> the options record
 */
public final class OptionsSchema<R> {

  /** The section in the configuration; null for a record nested in another's section. */
  private final String section;
  private final Class<R> type;
  private final List<OptionKey<?>> keys;
  private final Constructor<R> constructor;
  private final List<Method> accessors;
  private final R defaults;
  private final Map<String, String> descriptions;
  private final Set<String> secrets;

  private OptionsSchema(String section, Class<R> type, Supplier<? extends R> defaults, OptionKey<?>[] keys) {
    this.section = section;
    this.type = Objects.requireNonNull(type, "type");
    this.keys = List.of(keys);
    if (!type.isRecord()) {
      throw new IllegalArgumentException(type.getName() + " is not a record: an options schema builds records");
    }
    RecordComponent[] components = type.getRecordComponents();
    check(components);
    this.constructor = canonicalConstructor(components);
    List<Method> readers = new ArrayList<>();
    for (RecordComponent component : components) {
      Method accessor = component.getAccessor();
      accessor.setAccessible(true);
      readers.add(accessor);
    }
    this.accessors = List.copyOf(readers);
    Map<String, String> described = new LinkedHashMap<>();
    Set<String> hidden = new LinkedHashSet<>();
    for (OptionKey<?> key : this.keys) {
      key.describe(described, "");
      key.secrets(hidden, "");
    }
    this.descriptions = Collections.unmodifiableMap(described);
    this.secrets = Collections.unmodifiableSet(hidden);
    try {
      this.defaults = Objects.requireNonNull(defaults.get(), "the every-default constructor gave null");
    } catch (RuntimeException e) {
      throw new IllegalStateException(type.getSimpleName() + ": the every-default constructor fails (is the schema declared"
        + " after the constants that constructor uses?): " + e.getMessage(), e);
    }
  }

  /**
   * The schema of the options in {@code section} of the configuration.
   *
   * @param section  the section's name, e.g. {@code echo}; for a service, its name
   * @param type     the options record
   * @param defaults the record's every-default constructor, e.g. {@code EchoOptions::new}: each key's default
   *                 is its component there
   * @param keys     one per record component, in the components' order
   */
  public static <R> OptionsSchema<R> of(String section, Class<R> type, Supplier<? extends R> defaults, OptionKey<?>... keys) {
    return new OptionsSchema<>(Objects.requireNonNull(section, "section"), type, defaults, keys);
  }

  /**
   * The schema of a record whose keys sit in the section of another, which holds it with
   * {@link OptionKey#nested}. It has no section of its own, so no {@link #fromJson}.
   */
  public static <R> OptionsSchema<R> nested(Class<R> type, Supplier<? extends R> defaults, OptionKey<?>... keys) {
    return new OptionsSchema<>(null, type, defaults, keys);
  }

  /** The section of the configuration these options are read from, e.g. {@code echo}. */
  public String section() {
    if (section == null) {
      throw new IllegalStateException(type.getSimpleName() + " has no section of its own: its keys are read with the record that holds it");
    }
    return section;
  }

  /** The options record. */
  public Class<R> type() {
    return type;
  }

  /** The options with every default, as the record's every-default constructor makes them. */
  public R defaults() {
    return defaults;
  }

  /**
   * Reads and validates the section: a key it does not set takes its default, a value of the wrong
   * shape, a key the record does not know and a failed check in its constructor are an
   * {@link InvalidSettingException} naming {@code section.key}.
   */
  public R fromJson(JsonObject json) {
    Settings settings = Settings.of(section(), json);
    return settings.build(() -> read(settings, "", defaults));
  }

  /** Writes {@code options} the way {@link #fromJson} reads them, secrets hidden; in the order of the keys. */
  public JsonObject toJson(R options) {
    JsonObject json = new JsonObject();
    write(options, json, "");
    return json;
  }

  /** Every key as it appears in the section (a nested record's with their prefix), in order. */
  public Set<String> names() {
    return descriptions.keySet();
  }

  /** Each key as it appears in the section, with the line {@code --help} shows for it; in order. */
  public Map<String, String> descriptions() {
    return descriptions;
  }

  /** The keys {@link #toJson} writes hidden, which therefore do not read back. */
  public Set<String> secrets() {
    return secrets;
  }

  R read(Settings settings, String prefix, R defaultValues) {
    Object[] values = new Object[keys.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = readKey(keys.get(i), settings, prefix, component(i, defaultValues));
    }
    return construct(values);
  }

  void write(R options, JsonObject json, String prefix) {
    for (int i = 0; i < keys.size(); i++) {
      writeKey(keys.get(i), component(i, options), json, prefix);
    }
  }

  void describe(Map<String, String> into, String prefix) {
    for (OptionKey<?> key : keys) {
      key.describe(into, prefix);
    }
  }

  void secrets(Set<String> into, String prefix) {
    for (OptionKey<?> key : keys) {
      key.secrets(into, prefix);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> Object readKey(OptionKey<T> key, Settings settings, String prefix, Object defaultValue) {
    return key.read(settings, prefix, (T) defaultValue);
  }

  @SuppressWarnings("unchecked")
  private static <T> void writeKey(OptionKey<T> key, Object value, JsonObject json, String prefix) {
    key.write((T) value, json, prefix);
  }

  private Object component(int index, R record) {
    try {
      return accessors.get(index).invoke(record);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + type.getSimpleName() + "." + keys.get(index).name(), e);
    }
  }

  private R construct(Object[] values) {
    try {
      return constructor.newInstance(values);
    } catch (InvocationTargetException e) {
      // The record's own check refused a value: that is the error to report, as it was thrown.
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e.getCause());
    } catch (InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  private Constructor<R> canonicalConstructor(RecordComponent[] components) {
    try {
      Constructor<R> canonical = type.getDeclaredConstructor(Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
      canonical.setAccessible(true);
      return canonical;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type.getSimpleName() + " has no canonical constructor", e);
    }
  }

  /** The keys must be the record's components: same names, same order, same types. */
  private void check(RecordComponent[] components) {
    String record = type.getSimpleName();
    for (int i = 0; i < Math.max(components.length, keys.size()); i++) {
      if (i >= keys.size()) {
        throw new IllegalStateException(record + ": component " + components[i].getName() + " has no key in the schema");
      }
      OptionKey<?> key = keys.get(i);
      if (i >= components.length) {
        throw new IllegalStateException(record + ": key " + key.name() + " has no component in the record");
      }
      RecordComponent component = components[i];
      if (!key.name().equals(component.getName())) {
        throw new IllegalStateException(record + ": key " + (i + 1) + " is " + key.name() + " but component " + (i + 1) + " is "
          + component.getName() + " (one key per component, in the same order)");
      }
      if (!key.type().equals(component.getType())) {
        throw new IllegalStateException(record + "." + key.name() + ": the component is " + component.getType().getSimpleName()
          + ", its key reads " + key.type().getSimpleName());
      }
      if (key.element() != null && !key.element().equals(elementType(component.getGenericType()))) {
        throw new IllegalStateException(record + "." + key.name() + ": the component is " + component.getGenericType().getTypeName()
          + ", its key reads a list of " + key.element().getSimpleName());
      }
    }
  }

  private static Type elementType(Type type) {
    return type instanceof ParameterizedType parameterized && parameterized.getActualTypeArguments().length == 1
      ? parameterized.getActualTypeArguments()[0]
      : null;
  }

  @Override
  public String toString() {
    return "OptionsSchema[" + (section == null ? type.getSimpleName() : section) + ": " + String.join(", ", names()) + "]";
  }
}
