package dev.switchboard.bridge;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One permission: an address (exact, {@code *} wildcard or {@code ~regex}), an optional authority
 * the connection must hold, and optional body fields that must match. Written in configuration as
 * one string, e.g. {@code chat.room.* authority=chat match.kind="text"}; held as the
 * {@link PermittedOptions} of {@code vertx-bridge-common}, whose fields it enforces in full.
 */
public record Permission(PermittedOptions options, Pattern pattern, String text) {

  public Permission {
    Objects.requireNonNull(options);
  }

  /** Parses the configuration form; {@code key} names the setting in errors. */
  public static Permission parse(String key, String text) {
    String[] words = text.trim().split("\\s+");
    if (words.length == 0 || words[0].isEmpty()) {
      throw new InvalidSettingException(key, text, "a permission needs an address");
    }
    PermittedOptions options = new PermittedOptions();
    String address = words[0];
    if (address.startsWith("~")) {
      options.setAddressRegex(address.substring(1));
    } else if (address.contains("*")) {
      StringBuilder regex = new StringBuilder();
      for (String part : address.split("\\*", -1)) {
        if (regex.length() > 0) {
          regex.append(".+");
        }
        regex.append(Pattern.quote(part));
      }
      options.setAddressRegex(regex.toString().replace("\\Q\\E", ""));
    } else {
      options.setAddress(address);
    }
    JsonObject match = new JsonObject();
    for (int i = 1; i < words.length; i++) {
      String word = words[i];
      int equals = word.indexOf('=');
      if (word.startsWith("authority=") && options.getRequiredAuthority() == null && equals + 1 < word.length()) {
        options.setRequiredAuthority(word.substring(equals + 1));
      } else if (word.startsWith("match.") && equals > "match.".length()) {
        match.put(word.substring("match.".length(), equals), value(word.substring(equals + 1)));
      } else {
        throw new InvalidSettingException(key, text, "'" + word + "' is not authority=NAME (once) or match.FIELD=VALUE");
      }
    }
    if (!match.isEmpty()) {
      options.setMatch(match);
    }
    Permission compiled = of(key, options);
    return new Permission(options, compiled.pattern(), String.join(" ", words));
  }

  /** Compiles {@code options} (as read from JSON configuration, or built by {@link #parse}). */
  public static Permission of(String key, PermittedOptions options) {
    if (options.getAddress() == null && options.getAddressRegex() == null) {
      throw new InvalidSettingException(key, options.toJson(), "a permission needs an address or a pattern");
    }
    try {
      Pattern pattern = options.getAddressRegex() == null ? null : Pattern.compile(options.getAddressRegex());
      return new Permission(options, pattern, describe(options));
    } catch (PatternSyntaxException e) {
      throw new InvalidSettingException(key, options.getAddressRegex(), "is not a regular expression: " + e.getDescription());
    }
  }

  /** Whether the address and the authority allow a connection holding {@code authorities}. */
  public boolean allowsAddress(String address, Set<String> authorities) {
    boolean addressMatches = pattern == null ? options.getAddress().equals(address) : pattern.matcher(address).matches();
    return addressMatches && (options.getRequiredAuthority() == null || authorities.contains(options.getRequiredAuthority()));
  }

  /** Whether {@code body} has every field of {@code match}; with no match, every body passes. */
  public boolean allowsBody(Object body) {
    JsonObject match = options.getMatch();
    if (match == null) {
      return true;
    }
    if (!(body instanceof JsonObject object)) {
      return false;
    }
    for (Map.Entry<String, Object> field : match) {
      if (!Objects.equals(normalise(field.getValue()), normalise(object.getValue(field.getKey())))) {
        return false;
      }
    }
    return true;
  }

  public boolean hasMatch() {
    return options.getMatch() != null;
  }

  /** The configuration form, for the settings shown at start. */
  @Override
  public String toString() {
    return text;
  }

  /**
   * Permissions are equal when they allow the same. A record's own equality would compare the
   * {@link PermittedOptions} and the {@link Pattern} by identity, so that two readings of one
   * setting would differ.
   */
  @Override
  public boolean equals(Object other) {
    return other instanceof Permission that && options.toJson().equals(that.options.toJson());
  }

  @Override
  public int hashCode() {
    return options.toJson().hashCode();
  }

  private static String describe(PermittedOptions options) {
    StringBuilder text = new StringBuilder(options.getAddress() != null ? options.getAddress() : "~" + options.getAddressRegex());
    if (options.getRequiredAuthority() != null) {
      text.append(" authority=").append(options.getRequiredAuthority());
    }
    if (options.getMatch() != null) {
      options.getMatch().forEach(field -> text.append(" match.").append(field.getKey()).append('=').append(Json.encode(field.getValue())));
    }
    return text.toString();
  }

  /** A match value: JSON when it reads as a number, boolean, null or quoted string; else the text. */
  private static Object value(String text) {
    try {
      Object value = Json.decodeValue(text);
      if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
        return value;
      }
    } catch (DecodeException e) {
      // a bare word
    }
    return text;
  }

  /** Numbers compare by value, so that 1 (Integer) matches 1 (Long). */
  private static Object normalise(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue()) ? (Object) n.longValue() : (Object) n.doubleValue();
    }
    return value;
  }
}
