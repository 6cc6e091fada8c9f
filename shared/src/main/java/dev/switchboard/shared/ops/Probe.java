package dev.switchboard.shared.ops;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;

/**
 * A health probe for images without curl: {@code java -cp app.jar dev.switchboard.shared.ops.Probe
 * http://127.0.0.1:3000/ready} exits 0 when the URL answers 200, 1 otherwise, and prints the
 * status and body. Container health checks and scripts run it inside the container. What it
 * prints is the command's answer to whoever ran it, so it goes to stdout, not through a logger.
 */
public final class Probe {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final int MAX_BODY = 4096;

  private Probe() {
  }

  public static void main(String[] args) {
    if (args.length != 1) {
      System.out.println("usage: Probe URL   (exit 0 when the URL answers 200)");
      System.exit(2);
    }
    System.exit(check(args[0]) ? 0 : 1);
  }

  private static boolean check(String url) {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
      connection.setConnectTimeout((int) TIMEOUT.toMillis());
      connection.setReadTimeout((int) TIMEOUT.toMillis());
      int status = connection.getResponseCode();
      InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
      String text = body == null ? "" : new String(body.readNBytes(MAX_BODY));
      System.out.println(status + " " + text);
      return status == 200;
    } catch (IOException | IllegalArgumentException e) {
      System.out.println("unreachable: " + e);
      return false;
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }
}
