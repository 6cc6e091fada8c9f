package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher as a user meets it: {@code java -jar} on a service's fat jar, its help, its
 * configuration layers and its errors.
 */
class LauncherProcessTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void echoJarStartsAloneServesTcpAndAnswersReady() throws Exception {
    try (ServiceProcess echo = ServiceProcess.of("echo").set("adminPort", "0").args("-instances", "2").start().awaitUp()) {
      assertTrue(echo.upLine().contains("instances=2 standalone"), echo.upLine());
      try (Socket socket = new Socket("127.0.0.1", echo.port("tcp"))) {
        OutputStream out = socket.getOutputStream();
        out.write("ping over tcp".getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = socket.getInputStream();
        assertEquals("ping over tcp", new String(in.readNBytes(13), StandardCharsets.UTF_8));
      }
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + echo.port("admin") + "/ready")).build(),
        HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());
      assertEquals(0, echo.terminate(), echo.output());
    }
  }

  @Test
  void helpListsEverySettingWithItsDefaultAndEnvironmentVariable() throws Exception {
    try (ServiceProcess help = ServiceProcess.of("echo").args("--help").start()) {
      assertEquals(0, help.awaitExit(), help.output());
      String text = help.output();
      for (String row : new String[] {"echo.port", "SWITCHBOARD_ECHO_PORT", "[default: 9999]", "echo.mode", "[default: raw]",
        "cluster.members", "SWITCHBOARD_CLUSTER_MEMBERS", "shutdown.grace", "-instances", "-cluster", "-conf"}) {
        assertTrue(text.contains(row), "help lacks " + row + ":\n" + text);
      }
    }
  }

  @Test
  void portOutOfRangeExitsTwoWithOneLineNamingTheSetting() throws Exception {
    try (ServiceProcess echo = ServiceProcess.of("echo").set("port", "70000").start()) {
      assertEquals(2, echo.awaitExit(), echo.output());
      assertEquals("echo: invalid setting echo.port = 70000: must be an integer from 0 to 65535 (env SWITCHBOARD_ECHO_PORT, property switchboard.echo.port)",
        echo.output().strip());
    }
  }

  @Test
  void unknownModeFromEnvironmentExitsTwo() throws Exception {
    try (ServiceProcess echo = ServiceProcess.of("echo").env("SWITCHBOARD_ECHO_MODE", "shout").start()) {
      assertEquals(2, echo.awaitExit(), echo.output());
      assertEquals("echo: invalid setting echo.mode = shout: must be one of raw, line (env SWITCHBOARD_ECHO_MODE, property switchboard.echo.mode)",
        echo.output().strip());
    }
  }

  @Test
  void unreadableConfigFileExitsTwo(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.yaml");
    try (ServiceProcess echo = ServiceProcess.of("echo").args("-conf", missing.toString()).start()) {
      assertEquals(2, echo.awaitExit(), echo.output());
      assertEquals("echo: config file " + missing + " cannot be read: no such file", echo.output().strip());
    }
  }

  @Test
  void systemPropertyBeatsEnvironmentWhichBeatsConfigFile(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("switchboard.yaml");
    Files.writeString(conf, "echo:\n  mode: line\n  idleTimeout: 1m\n  maxConnections: 5\n");
    try (ServiceProcess echo = ServiceProcess.of("echo")
      .set("adminPort", "0")
      .set("maxConnections", "7")
      .env("SWITCHBOARD_ECHO_MAX_CONNECTIONS", "6")
      .env("SWITCHBOARD_ECHO_IDLE_TIMEOUT", "2m")
      .args("-conf", conf.toString(), "-instances", "1")
      .start().awaitUp()) {
      try (Socket socket = new Socket("127.0.0.1", echo.port("tcp"))) {
        socket.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("You said: hi\n", new String(socket.getInputStream().readNBytes(13), StandardCharsets.UTF_8), "mode from the file");
      }
      String effective = echo.output();
      assertTrue(effective.contains("\"maxConnections\":7"), "property wins over environment and file:\n" + effective);
      assertTrue(effective.contains("\"idleTimeout\":\"2m\""), "environment wins over file:\n" + effective);
      assertEquals(0, echo.terminate());
    }
  }
}
