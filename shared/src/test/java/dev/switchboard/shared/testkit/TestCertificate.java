package dev.switchboard.shared.testkit;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made for a test by the JDK's keytool and
 * written as PEM files: {@code cert} (the certificate) and {@code key} (its PKCS#8 private key), what
 * a server's TLS settings name. A client trusts it through {@link #clientContext()} or, for curl,
 * {@code --cacert cert}.
 */
public record TestCertificate(String name, Path cert, Path key, X509Certificate certificate, PrivateKey privateKey) {

  private static final char[] PASSWORD = "test-only".toCharArray();
  private static final long KEYTOOL_TIMEOUT_SECONDS = 60;

  /** A new key pair and certificate named {@code name}, its files in {@code dir}. */
  public static TestCertificate create(Path dir, String name) {
    try {
      Path store = dir.resolve(name + ".p12");
      Files.deleteIfExists(store);
      Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
      String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!keytool.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + output);
      }
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        keyStore.load(in, PASSWORD);
      }
      X509Certificate certificate = (X509Certificate) keyStore.getCertificate(name);
      PrivateKey key = (PrivateKey) keyStore.getKey(name, PASSWORD);
      TestCertificate made = new TestCertificate(name, dir.resolve(name + ".crt"), dir.resolve(name + ".key"), certificate, key);
      made.writeTo(made.cert, made.key);
      return made;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("could not make a test certificate", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes this certificate and key as PEM to {@code certFile} and {@code keyFile}, each replaced
   * whole (written aside, then moved over), as a certificate renewal would.
   */
  public void writeTo(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    replace(keyFile, pem("PRIVATE KEY", privateKey.getEncoded()));
    replace(certFile, pem("CERTIFICATE", certificate.getEncoded()));
  }

  /** A client TLS context that trusts this certificate alone. */
  public SSLContext clientContext() {
    return clientContext(null);
  }

  /**
   * A client TLS context that trusts this certificate alone and, unless {@code presented} is null,
   * presents {@code presented}'s certificate and key (mutual TLS).
   */
  public SSLContext clientContext(TestCertificate presented) {
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry(name, certificate);
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      KeyManager[] keys = null;
      if (presented != null) {
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry(presented.name, presented.privateKey, PASSWORD, new java.security.cert.Certificate[] {presented.certificate});
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(identity, PASSWORD);
        keys = factory.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
      + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
      + "\n-----END " + type + "-----\n";
  }

  private static void replace(Path file, String text) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + ".new");
    Files.writeString(aside, text);
    Files.move(aside, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
