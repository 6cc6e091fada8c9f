package dev.switchboard.gateway.tls;

import dev.switchboard.gateway.config.TlsOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.impl.KeyStoreHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The gateway's certificate and key: read from their PEM files at the start, then read again every
 * {@code tlsReloadInterval}; a pair that changed on disk is checked (both parse, and the key signs
 * what the certificate's public key verifies) and only then handed to every server that serves it,
 * through {@code updateSSLOptions}: new connections get it, open ones keep the one they shook hands
 * with. A pair that does not load — a renewal half written, a key of another certificate — is
 * logged once and left aside; the last good one keeps serving. One per gateway process, shared by
 * its instances, each of which registers its servers.
 */
public final class Certificates {

  private static final Logger log = LoggerFactory.getLogger(Certificates.class);
  /** What a PEM pair may weigh: a key and a chain of a few certificates take a few KiB. */
  static final long MAX_FILE_SIZE = 1024 * 1024;

  /** A certificate and key that loaded and match. */
  public record Pair(Buffer cert, Buffer key, X509Certificate leaf, String fingerprint) {

    String describe() {
      return "subject " + leaf.getSubjectX500Principal().getName() + ", serial " + leaf.getSerialNumber().toString(16)
        + ", valid until " + leaf.getNotAfter().toInstant() + ", SHA-256 " + fingerprint;
    }
  }

  private final TlsOptions options;
  private final Counter applied;
  private final Counter rejected;
  private final List<HttpServer> httpServers = new CopyOnWriteArrayList<>();
  private final List<NetServer> netServers = new CopyOnWriteArrayList<>();
  private volatile Pair current;
  /** The bytes last read, good or bad: a file that did not change is not checked again, a bad pair is logged once. */
  private byte[] lastRead;
  private Vertx vertx;
  private Future<Void> started;
  private int users;
  private long timer = -1;
  private boolean checking;
  /** The last update of a server's options asked for: the next one waits for it. */
  private Future<?> updates = Future.succeededFuture();

  public Certificates(TlsOptions options, MeterRegistry meters) {
    this.options = options;
    this.applied = Counter.builder("switchboard.gateway.tls.reloads").tag("result", "applied")
      .description("Certificate pairs read anew from disk and served").register(meters);
    this.rejected = Counter.builder("switchboard.gateway.tls.reloads").tag("result", "rejected")
      .description("Changed certificate pairs that did not load and were not served").register(meters);
    Gauge.builder("switchboard.gateway.tls.certificate.not.after", this,
        c -> c.current == null ? Double.NaN : c.current.leaf().getNotAfter().getTime() / 1000.0)
      .description("When the certificate served expires, in seconds since the epoch").baseUnit("seconds").register(meters);
  }

  /** Called by each instance's start: the first one reads the pair (failing the start if it does not load) and starts watching. */
  public synchronized Future<Void> acquire(Vertx vertx) {
    users++;
    if (started == null) {
      this.vertx = vertx;
      started = vertx.executeBlocking(this::read, false)
        .map(bytes -> {
          Pair pair;
          try {
            pair = load(vertx, bytes);
          } catch (InvalidPair e) {
            throw new IllegalStateException("tlsCert " + options.cert() + " and tlsKey " + options.key() + ": " + e.getMessage());
          }
          synchronized (this) {
            lastRead = bytes.concatenated();
            current = pair;
          }
          log.info("TLS certificate {}", pair.describe());
          warnIfOutOfDate(pair);
          return pair;
        })
        .onSuccess(pair -> {
          if (!options.reloadInterval().isZero()) {
            synchronized (this) {
              timer = vertx.setPeriodic(options.reloadInterval().toMillis(), id -> check());
            }
          }
        })
        .mapEmpty();
    }
    return started;
  }

  /** Called by each instance's stop: the last one stops watching. */
  public synchronized void release() {
    if (--users > 0 || vertx == null) {
      return;
    }
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    started = null;
  }

  /** The pair served now. */
  public Pair current() {
    return current;
  }

  /** The public HTTP server's options with TLS on: the current pair, ALPN offering h2 then http/1.1. */
  public HttpServerOptions applyTo(HttpServerOptions server) {
    return server.setSsl(true)
      .setUseAlpn(true)
      .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
      .setKeyCertOptions(keyCert(current))
      .setEnabledSecureTransportProtocols(new LinkedHashSet<>(options.protocols()));
  }

  /** A TCP route's server options with TLS on, the current pair. */
  public NetServerOptions applyTo(NetServerOptions server) {
    return server.setSsl(true)
      .setKeyCertOptions(keyCert(current))
      .setEnabledSecureTransportProtocols(new LinkedHashSet<>(options.protocols()));
  }

  /**
   * Gives {@code server}, listening, every pair applied from now on; {@code madeWith} is the pair
   * its options were made with ({@link #current()} before {@link #applyTo}), and it gets the
   * current one if a newer pair was applied in between.
   */
  public Future<Boolean> register(HttpServer server, Pair madeWith) {
    httpServers.add(server);
    return madeWith == current ? Future.succeededFuture(false) : serially(() -> server.updateSSLOptions(sslOptions(current)));
  }

  public Future<Boolean> register(NetServer server, Pair madeWith) {
    netServers.add(server);
    return madeWith == current ? Future.succeededFuture(false) : serially(() -> server.updateSSLOptions(sslOptions(current)));
  }

  /**
   * Runs {@code update} once the updates before it are done. Vert.x 5.0.8's {@code updateSSLOptions}
   * on servers sharing a port, called from two event loops at once, can recurse until the stack
   * overflows (a finished update seen before its own clean-up ran): one at a time, never in parallel.
   */
  private synchronized <T> Future<T> serially(Supplier<Future<T>> update) {
    Future<T> next = updates.transform(ignored -> update.get());
    updates = next;
    return next;
  }

  public void unregister(HttpServer server) {
    httpServers.remove(server);
  }

  public void unregister(NetServer server) {
    netServers.remove(server);
  }

  /**
   * Reads the files, and serves their pair if it changed and loads. Completes with whether a new
   * pair was applied; never fails (a failure is logged and counted).
   */
  public Future<Boolean> check() {
    synchronized (this) {
      if (checking || vertx == null) {
        return Future.succeededFuture(false);
      }
      checking = true;
    }
    Vertx vertx = this.vertx;
    return vertx.executeBlocking(() -> {
        PairFiles bytes = read();
        synchronized (this) {
          if (Arrays.equals(bytes.concatenated(), lastRead)) {
            return null;
          }
          lastRead = bytes.concatenated();
        }
        try {
          return load(vertx, bytes);
        } catch (InvalidPair e) {
          rejected.increment();
          log.warn("TLS certificate files changed but not applied ({}); still serving {}", e.getMessage(), current.describe());
          return null;
        }
      }, false)
      .recover(e -> {
        // Unreadable files (gone while being replaced, say): tried again at the next tick.
        log.debug("TLS certificate files not read: {}", e.toString());
        synchronized (this) {
          lastRead = null;
        }
        return Future.succeededFuture();
      })
      .compose(pair -> pair == null ? Future.succeededFuture(false) : apply(pair))
      .eventually(() -> {
        synchronized (this) {
          checking = false;
        }
        return Future.succeededFuture();
      });
  }

  private Future<Boolean> apply(Pair pair) {
    ServerSSLOptions ssl = sslOptions(pair);
    List<Future<Boolean>> updates = new ArrayList<>();
    httpServers.forEach(server -> updates.add(serially(() -> server.updateSSLOptions(ssl))));
    netServers.forEach(server -> updates.add(serially(() -> server.updateSSLOptions(ssl))));
    return Future.join(updates)
      .transform(done -> {
        if (done.failed()) {
          rejected.increment();
          log.warn("TLS certificate not applied: {}; still serving {}", done.cause().getMessage(), current.describe());
          return Future.succeededFuture(false);
        }
        current = pair;
        applied.increment();
        log.info("TLS certificate reloaded: {} ({} servers)", pair.describe(), updates.size());
        warnIfOutOfDate(pair);
        return Future.succeededFuture(true);
      });
  }

  private ServerSSLOptions sslOptions(Pair pair) {
    return new ServerSSLOptions()
      .setKeyCertOptions(keyCert(pair))
      .setEnabledSecureTransportProtocols(new LinkedHashSet<>(options.protocols()));
  }

  private static PemKeyCertOptions keyCert(Pair pair) {
    return new PemKeyCertOptions().setCertValue(pair.cert()).setKeyValue(pair.key());
  }

  /** The two files' bytes, as read at one moment. */
  record PairFiles(Buffer cert, Buffer key) {

    byte[] concatenated() {
      byte[] c = cert.getBytes();
      byte[] k = key.getBytes();
      byte[] both = new byte[c.length + 1 + k.length];
      System.arraycopy(c, 0, both, 0, c.length);
      System.arraycopy(k, 0, both, c.length + 1, k.length);
      return both;
    }
  }

  private PairFiles read() throws Exception {
    return new PairFiles(readFile("tlsCert", options.cert()), readFile("tlsKey", options.key()));
  }

  private static Buffer readFile(String setting, String name) throws Exception {
    Path path = Path.of(name);
    try {
      long size = Files.size(path);
      if (size > MAX_FILE_SIZE) {
        throw new IllegalStateException(setting + " " + name + " is " + size + " bytes, more than a PEM file of "
          + MAX_FILE_SIZE + " may be");
      }
      return Buffer.buffer(Files.readAllBytes(path));
    } catch (NoSuchFileException e) {
      throw new IllegalStateException(setting + " " + name + " does not exist");
    }
  }

  /** Parses a pair the way Vert.x will, and checks that the key is the certificate's. */
  static Pair load(Vertx vertx, PairFiles files) throws InvalidPair {
    KeyStore store;
    try {
      store = new PemKeyCertOptions().setCertValue(files.cert()).setKeyValue(files.key()).loadKeyStore(vertx);
    } catch (Exception e) {
      throw new InvalidPair("does not load: " + e.getMessage(), e);
    }
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (!store.isKeyEntry(alias)) {
          continue;
        }
        PrivateKey key = (PrivateKey) store.getKey(alias, KeyStoreHelper.DUMMY_PASSWORD.toCharArray());
        Certificate[] chain = store.getCertificateChain(alias);
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
          throw new InvalidPair("no X.509 certificate in tlsCert", null);
        }
        if (!signsFor(key, leaf.getPublicKey())) {
          throw new InvalidPair("the key in tlsKey is not the certificate's", null);
        }
        String fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
        return new Pair(files.cert(), files.key(), leaf, fingerprint);
      }
    } catch (GeneralSecurityException e) {
      throw new InvalidPair("does not load: " + e.getMessage(), e);
    }
    throw new InvalidPair("no private key in tlsKey", null);
  }

  /** Whether {@code key} makes signatures {@code certificateKey} verifies: the one sure sign they belong together. */
  private static boolean signsFor(PrivateKey key, PublicKey certificateKey) throws InvalidPair {
    Function<String, String> algorithm = type -> switch (type) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    String name = algorithm.apply(key.getAlgorithm());
    if (name == null) {
      throw new InvalidPair("keys of type " + key.getAlgorithm() + " are not supported (RSA, EC, Ed25519)", null);
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      Signature signer = Signature.getInstance(name);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(name);
      verifier.initVerify(certificateKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // keys of different kinds or sizes
    }
  }

  private static void warnIfOutOfDate(Pair pair) {
    Date now = new Date();
    if (pair.leaf().getNotAfter().before(now)) {
      log.warn("TLS certificate expired at {}: clients will refuse it", pair.leaf().getNotAfter().toInstant());
    } else if (pair.leaf().getNotBefore().after(now)) {
      log.warn("TLS certificate not valid before {}: clients will refuse it until then", pair.leaf().getNotBefore().toInstant());
    }
  }

  /** A certificate and key that cannot be served, and why. */
  static final class InvalidPair extends Exception {

    InvalidPair(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
