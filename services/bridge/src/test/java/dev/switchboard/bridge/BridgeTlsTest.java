package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestCertificate;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.SocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * TLS and mutual TLS with certificates made for the test (the test kit's {@link TestCertificate}): a
 * server certificate for 127.0.0.1, and a client certificate the bridge trusts as its client CA.
 */
class BridgeTlsTest extends BridgeTestBase {

  @TempDir
  Path dir;

  @Test
  void framesTravelOverTls() throws Exception {
    TestCertificate server = TestCertificate.create(dir, "server");
    int port = startBridge(standardSettings().put("tls", true)
      .put("tlsCert", server.cert().toString()).put("tlsKey", server.key().toString()));
    try (BridgeTestClient client = BridgeTestClient.connect(server.clientContext().getSocketFactory(), port)) {
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
    TestCertificate server = TestCertificate.create(dir, "server");
    TestCertificate client = TestCertificate.create(dir, "client");
    TestCertificate stranger = TestCertificate.create(dir, "stranger");
    int port = startBridge(standardSettings().put("tls", true)
      .put("tlsCert", server.cert().toString()).put("tlsKey", server.key().toString())
      .put("tlsClientCa", client.cert().toString()));
    try (BridgeTestClient trusted = BridgeTestClient.connect(server.clientContext(client).getSocketFactory(), port)) {
      assertEquals(frame("pong"), trusted.call(frame("ping")));
    }
    for (TestCertificate refused : new TestCertificate[] {null, stranger}) {
      try (BridgeTestClient anonymous = BridgeTestClient.connect(server.clientContext(refused).getSocketFactory(), port)) {
        assertThrows(IOException.class, () -> anonymous.call(frame("ping")), "the handshake fails without a trusted client certificate");
      }
    }
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
