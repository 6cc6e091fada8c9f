package dev.switchboard.bridge;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.SocketFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS and mutual TLS with certificates made for the test by the JDK's keytool: a server
 * certificate for 127.0.0.1, and a client certificate the bridge trusts as its client CA.
 */
class BridgeTlsTest extends BridgeTestBase {

  private static final char[] PASSWORD = "test-only".toCharArray();

  @TempDir
  Path dir;

  @Test
  void framesTravelOverTls() throws Exception {
    KeyStore server = keyPair("server");
    int port = startBridge(standardSettings().put("tls", true)
      .put("tlsCert", pem(certificate(server), "server.crt")).put("tlsKey", pem(server, "server.key")));
    try (BridgeTestClient client = BridgeTestClient.connect(tls(server, null), port)) {
      assertEquals(frame("pong"), client.call(frame("ping")));
      JsonObject reply = client.call(frame("send", "test.echo").put("replyAddress", "r").put("body", "secret"));
      assertEquals("secret", reply.getString("body"));
    }
    try (Socket plain = SocketFactory.getDefault().createSocket("127.0.0.1", port)) {
      plain.setSoTimeout(BridgeTestClient.READ_TIMEOUT_MILLIS);
      plain.getOutputStream().write(BridgeTestClient.frameBytes(frame("ping")));
      assertFalse(readUntilEnd(plain.getInputStream()).contains("pong"), "a plain client gets no frames from a TLS bridge");
    }
  }

  @Test
  void mutualTlsRequiresAClientCertificateSignedByTheClientCa() throws Exception {
    KeyStore server = keyPair("server");
    KeyStore client = keyPair("client");
    KeyStore stranger = keyPair("stranger");
    int port = startBridge(standardSettings().put("tls", true)
      .put("tlsCert", pem(certificate(server), "server.crt")).put("tlsKey", pem(server, "server.key"))
      .put("tlsClientCa", pem(certificate(client), "clients.crt")));
    try (BridgeTestClient trusted = BridgeTestClient.connect(tls(server, client), port)) {
      assertEquals(frame("pong"), trusted.call(frame("ping")));
    }
    for (KeyStore refused : new KeyStore[] {null, stranger}) {
      try (BridgeTestClient anonymous = BridgeTestClient.connect(tls(server, refused), port)) {
        assertThrows(IOException.class, () -> anonymous.call(frame("ping")), "the handshake fails without a trusted client certificate");
      }
    }
  }

  private KeyStore keyPair(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
      "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
      "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
      "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
      .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool failed: " + output);
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keyStore.load(in, PASSWORD);
    }
    return keyStore;
  }

  private static Certificate certificate(KeyStore store) throws Exception {
    return store.getCertificate(store.aliases().nextElement());
  }

  private String pem(Certificate certificate, String file) throws Exception {
    return write(file, "CERTIFICATE", certificate.getEncoded());
  }

  private String pem(KeyStore store, String file) throws Exception {
    PrivateKey key = (PrivateKey) store.getKey(store.aliases().nextElement(), PASSWORD);
    return write(file, "PRIVATE KEY", key.getEncoded());
  }

  private String write(String file, String type, byte[] der) throws IOException {
    String text = "-----BEGIN " + type + "-----\n"
      + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
      + "\n-----END " + type + "-----\n";
    return Files.writeString(dir.resolve(file), text).toString();
  }

  /** A TLS socket factory trusting {@code server}'s certificate and presenting {@code client}'s, if any. */
  private static SocketFactory tls(KeyStore server, KeyStore client) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("server", certificate(server));
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    KeyManagerFactory keys = null;
    if (client != null) {
      keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(client, PASSWORD);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
    return context.getSocketFactory();
  }

  private static String readUntilEnd(InputStream in) {
    StringBuilder text = new StringBuilder();
    byte[] chunk = new byte[4096];
    try {
      int n;
      while ((n = in.read(chunk)) >= 0) {
        text.append(new String(chunk, 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      // reset by the server: the end as well
    }
    return text.toString();
  }
}
