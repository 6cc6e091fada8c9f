package dev.switchboard.gateway.config;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.Settings;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * TLS at the gateway: the certificate its public port (and, with {@code tcp}, its TCP routes)
 * serves, how often its files are looked at for a new one, the plain port that sends browsers to
 * HTTPS, and HSTS; part of the {@code gateway} section, with flat keys ({@code tlsCert},
 * {@code tlsKey}, ...). Off while {@code cert} and {@code key} are empty.
 *
 * @param cert           PEM file of the certificate (its chain after it); empty: no TLS
 * @param key            PEM file of its private key (PKCS#8, or PKCS#1 RSA); empty: no TLS
 * @param reloadInterval how often the two files are read for a new pair; zero: never after the start
 * @param protocols      TLS versions offered, of {@code TLSv1.2} and {@code TLSv1.3}
 * @param redirectPort   a plain HTTP port whose every request is sent to HTTPS with a 308;
 *                       {@link #OFF} for none, 0 for a free one
 * @param publicHost     the host name the redirect sends to; empty: the request's {@code Host}, when
 *                       it is a valid host name or address (400 otherwise)
 * @param publicPort     the HTTPS port the redirect sends to, as clients reach it (a load balancer may
 *                       map it); 0: the port the gateway listens on
 * @param hstsMaxAge     {@code Strict-Transport-Security: max-age} on every HTTPS answer; zero: no header
 * @param hstsSubdomains whether HSTS also covers the subdomains of the host
 * @param tcp            whether the TCP routes' ports speak TLS too (with the same certificate)
 */
public record TlsOptions(
  String cert,
  String key,
  Duration reloadInterval,
  List<String> protocols,
  int redirectPort,
  String publicHost,
  int publicPort,
  Duration hstsMaxAge,
  boolean hstsSubdomains,
  boolean tcp) {

  /** {@link #redirectPort}'s value for no redirecting port. */
  public static final int OFF = -1;
  /** Often enough that a renewed certificate serves within seconds; two small files read, nothing more when unchanged. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);
  /** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
  public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
  private static final Set<String> ALLOWED_PROTOCOLS = Set.copyOf(DEFAULT_PROTOCOLS);
  /** One year, what HSTS preload lists ask for. */
  public static final Duration DEFAULT_HSTS_MAX_AGE = Duration.ofDays(365);
  /** A DNS name (letters, digits, hyphens in dot-separated labels), an IPv4 address or a bracketed IPv6 one. */
  private static final Pattern HOST = Pattern.compile(
    "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?"
      + "|\\[[0-9A-Fa-f:.]{2,45}]");

  /** The keys, in the {@code gateway} section after the prefix {@code tls} that {@link GatewayOptions} gives them. */
  public static final OptionsSchema<TlsOptions> SCHEMA = OptionsSchema.nested(TlsOptions.class, TlsOptions::new,
    OptionKey.string("cert", "PEM certificate (chain) of the public port; with tlsKey, it speaks HTTPS (h2 and http/1.1)"),
    OptionKey.string("key", "PEM private key of tlsCert"),
    OptionKey.duration("reloadInterval", "how often tlsCert and tlsKey are read for a new pair (0: never)"),
    OptionKey.list("protocols", "TLS versions offered: TLSv1.2, TLSv1.3"),
    OptionKey.of("redirectPort", int.class, TlsOptions::readRedirectPort, port -> port == OFF ? "off" : String.valueOf(port),
      "plain HTTP port redirecting every request to HTTPS (off: none)"),
    OptionKey.string("publicHost", "host name redirects go to (empty: the request's Host when valid)"),
    OptionKey.integer("publicPort", "HTTPS port redirects go to (0: the gateway's port)"),
    OptionKey.duration("hstsMaxAge", "Strict-Transport-Security max-age on HTTPS answers (0: no header)"),
    OptionKey.bool("hstsSubdomains", "HSTS covers subdomains too"),
    OptionKey.bool("tcp", "TCP routes speak TLS too when tlsCert is set"));

  public TlsOptions {
    cert = cert == null ? "" : cert.trim();
    key = key == null ? "" : key.trim();
    if (cert.isEmpty() != key.isEmpty()) {
      throw new InvalidSettingException(cert.isEmpty() ? "tlsCert" : "tlsKey", "", "must be set together with "
        + (cert.isEmpty() ? "tlsKey" : "tlsCert") + " (both PEM files), or both left empty for no TLS");
    }
    Require.notNegative("tlsReloadInterval", reloadInterval);
    protocols = List.copyOf(protocols);
    if (protocols.isEmpty()) {
      throw new InvalidSettingException("tlsProtocols", "", "must list TLSv1.2, TLSv1.3 or both");
    }
    for (String protocol : protocols) {
      if (!ALLOWED_PROTOCOLS.contains(protocol)) {
        throw new InvalidSettingException("tlsProtocols", protocol, "must be TLSv1.2 or TLSv1.3 (older versions are not offered)");
      }
    }
    if (redirectPort != OFF) {
      Require.port("tlsRedirectPort", redirectPort);
    }
    publicHost = publicHost == null ? "" : publicHost.trim();
    if (!publicHost.isEmpty() && !isHost(publicHost)) {
      throw new InvalidSettingException("tlsPublicHost", publicHost, "must be a host name or address, such as api.example.com");
    }
    Require.port("tlsPublicPort", publicPort);
    Require.notNegative("tlsHstsMaxAge", hstsMaxAge);
    if (redirectPort != OFF && cert.isEmpty()) {
      throw new InvalidSettingException("tlsRedirectPort", String.valueOf(redirectPort), "needs tlsCert and tlsKey: there is no HTTPS to redirect to");
    }
  }

  /** TLS off, its other settings at their defaults. */
  public TlsOptions() {
    this("", "", DEFAULT_RELOAD_INTERVAL, DEFAULT_PROTOCOLS, OFF, "", 0, DEFAULT_HSTS_MAX_AGE, false, true);
  }

  /** Whether the gateway speaks TLS. */
  public boolean enabled() {
    return !cert.isEmpty();
  }

  /** Whether {@code host} (without a port) is a host name, an IPv4 address or a bracketed IPv6 address. */
  public static boolean isHost(String host) {
    return host != null && HOST.matcher(host).matches();
  }

  /** The {@code Strict-Transport-Security} value, or null when HSTS is off. */
  public String hstsHeader() {
    if (hstsMaxAge.isZero()) {
      return null;
    }
    return "max-age=" + hstsMaxAge.toSeconds() + (hstsSubdomains ? "; includeSubDomains" : "");
  }

  /** A port number, or {@code off} (or nothing) for {@link #OFF}. */
  private static int readRedirectPort(Settings settings, String key, int defaultValue) {
    String value = settings.string(key, null);
    if (value == null) {
      return defaultValue;
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.isEmpty() || v.equals("off")) {
      return OFF;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new InvalidSettingException(key, value, "must be a port from 0 to 65535, or off");
    }
  }
}
