package dev.switchboard.shared;

/**
 * A configuration value that cannot be used: names the setting, the value and what is allowed.
 */
public final class InvalidSettingException extends IllegalArgumentException {

  private final String key;
  private final Object value;
  private final String rule;

  /**
   * @param key   the setting, e.g. {@code port} (or {@code echo.port} once its section is known)
   * @param value the rejected value, as given
   * @param rule  what is allowed, e.g. {@code must be a port number from 0 to 65535}
   */
  public InvalidSettingException(String key, Object value, String rule) {
    super(key + " = " + value + ": " + rule);
    this.key = key;
    this.value = value;
    this.rule = rule;
  }

  /** The same error, with the setting's key prefixed by the section it was read from. */
  public InvalidSettingException in(String section) {
    return new InvalidSettingException(section + "." + key, value, rule);
  }

  public String key() {
    return key;
  }

  public Object value() {
    return value;
  }

  public String rule() {
    return rule;
  }
}
