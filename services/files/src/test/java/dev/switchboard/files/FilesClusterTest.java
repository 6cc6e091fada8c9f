package dev.switchboard.files;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Other nodes of the cluster list files and hear of changes over the bus, as the gateway will. */
class FilesClusterTest {

  @TempDir
  Path root;
  private TestCluster cluster;
  private HttpClient client;

  @AfterEach
  void stop() {
    if (cluster != null) {
      TestKit.awaitUnchecked(cluster.close(), FilesTestBase.TIMEOUT);
    }
  }

  @Test
  void answersFilesListAndAnnouncesChangesToAnotherNode() throws Exception {
    Files.writeString(root.resolve("a.txt"), "a");
    cluster = TestCluster.started(2);
    int port = TestKit.awaitUnchecked(TestKit.deploy(cluster.node(0), FilesVerticle.DEFINITION,
      new JsonObject().put("root", root.toString()).put("token", FilesTestBase.TOKEN), 1), FilesTestBase.TIMEOUT).port("http");

    JsonObject page = TestKit.awaitUnchecked(cluster.node(1).eventBus().<JsonObject>request(Addresses.FILES_LIST, new JsonObject()), FilesTestBase.TIMEOUT).body();
    assertEquals("a.txt", page.getJsonArray("entries").getJsonObject(0).getString("name"));

    Promise<JsonObject> heard = Promise.promise();
    TestKit.awaitUnchecked(cluster.node(1).eventBus().<JsonObject>consumer(Addresses.FILES_CHANGED, m -> heard.tryComplete(m.body())).completion(), FilesTestBase.TIMEOUT);
    client = cluster.node(0).createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    int status = TestKit.awaitUnchecked(client.request(new RequestOptions().setMethod(HttpMethod.PUT).setURI("/files/b.txt")
        .putHeader("Authorization", "Bearer " + FilesTestBase.TOKEN))
      .compose(request -> request.send(Buffer.buffer("bb")))
      .map(response -> response.statusCode()), FilesTestBase.TIMEOUT);
    assertEquals(201, status);
    JsonObject change = TestKit.awaitUnchecked(heard.future(), FilesTestBase.TIMEOUT);
    assertEquals("upload", change.getString("action"));
    assertEquals("b.txt", change.getString("path"));
    assertEquals(2, change.getLong("size"));
  }
}
