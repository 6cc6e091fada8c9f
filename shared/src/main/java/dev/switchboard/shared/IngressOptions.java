package dev.switchboard.shared;

import dev.switchboard.shared.net.AddressBlocks;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * How every HTTP server of a process meets its clients; the {@code ingress} section of the
 * configuration, the same for every service.
 *
 * @param headTimeout    a request head must be complete this long after its first byte arrived; 408
 *                       and the connection closed otherwise (a slow head holds a connection for no more)
 * @param trustedProxies the addresses (and CIDR blocks) of the proxies in front of the process, the
 *                       gateway's on the way to a service: only from these is {@code X-Forwarded-For}
 *                       believed, and the client's own address read from it; empty: nobody's
 * @param accessLog      the access log's format: one line per request on the logger
 *                       {@value dev.switchboard.shared.web.AccessLog#LOGGER}, as JSON, in the common log
 *                       format, or none
 */
public record IngressOptions(Duration headTimeout, List<String> trustedProxies, AccessLogFormat accessLog) {

  /** How each request is written to the access log. */
  public enum AccessLogFormat { JSON, COMMON, OFF }

  public static final String SECTION = "ingress";
  public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration MIN_HEAD_TIMEOUT = Duration.ofMillis(100);
  public static final Duration MAX_HEAD_TIMEOUT = Duration.ofMinutes(10);
  public static final int MAX_TRUSTED_PROXIES = 256;
  /** One JSON object per line: what log collectors read without a pattern. */
  public static final AccessLogFormat DEFAULT_ACCESS_LOG = AccessLogFormat.JSON;

  /** The keys of the section, one per component. */
  public static final OptionsSchema<IngressOptions> SCHEMA = OptionsSchema.of(SECTION, IngressOptions.class, IngressOptions::new,
    OptionKey.duration("headTimeout", "a request head must be complete this long after its first byte (408 and close beyond)"),
    OptionKey.list("trustedProxies", "addresses or CIDR blocks whose X-Forwarded-For is believed (comma-separated; the gateway's, the pod network)"),
    OptionKey.choice("accessLog", AccessLogFormat.class,
      "one line per request on the logger switchboard.access: json, common (the common log format and more) or off"));

  public IngressOptions {
    if (headTimeout == null || headTimeout.compareTo(MIN_HEAD_TIMEOUT) < 0 || headTimeout.compareTo(MAX_HEAD_TIMEOUT) > 0) {
      throw new InvalidSettingException("headTimeout", headTimeout == null ? null : Settings.format(headTimeout),
        "must be " + Settings.format(MIN_HEAD_TIMEOUT) + " to " + Settings.format(MAX_HEAD_TIMEOUT));
    }
    if (accessLog == null) {
      throw new InvalidSettingException("accessLog", null, "must be json, common or off");
    }
    trustedProxies = List.copyOf(trustedProxies);
    Require.range("trustedProxies", trustedProxies.size(), 0, MAX_TRUSTED_PROXIES);
    try {
      AddressBlocks.of(trustedProxies);
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException("trustedProxies", String.join(",", trustedProxies), e.getMessage());
    }
  }

  /** These limits and proxies, with the access log at its default. */
  public IngressOptions(Duration headTimeout, List<String> trustedProxies) {
    this(headTimeout, trustedProxies, DEFAULT_ACCESS_LOG);
  }

  /** Every option at its default: a 10 s head timeout, no trusted proxy, a JSON access log. */
  public IngressOptions() {
    this(DEFAULT_HEAD_TIMEOUT, List.of());
  }

  /** These options with the access log in {@code format}. */
  public IngressOptions withAccessLog(AccessLogFormat format) {
    return new IngressOptions(headTimeout, trustedProxies, format);
  }

  public static IngressOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** The trusted proxies, ready to match addresses. */
  public AddressBlocks proxies() {
    return AddressBlocks.of(trustedProxies);
  }

  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
