package dev.switchboard.files;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Directory listings over HTTP and over the bus ({@code files.list}), paginated. */
class ListingTest extends FilesTestBase {

  @BeforeEach
  void tree() throws IOException {
    Files.createDirectories(root.resolve("docs/sub"));
    for (String name : List.of("c.txt", "a.txt", "b.txt", "e.txt", "d.txt")) {
      Files.writeString(root.resolve("docs").resolve(name), name);
    }
    Files.writeString(root.resolve("docs/.hidden"), "x");
    deploy(new JsonObject().put("pageSize", 3));
  }

  @Test
  void listsADirectoryWithSizesDatesAndEtags() {
    Response r = get("/files/docs/");
    assertEquals(200, r.status());
    JsonObject page = r.json();
    assertEquals("docs/", page.getString("path"));
    JsonArray entries = page.getJsonArray("entries");
    assertEquals(List.of("a.txt", "b.txt", "c.txt"), names(entries));
    JsonObject a = entries.getJsonObject(0);
    assertEquals("file", a.getString("type"));
    assertEquals(5, a.getLong("size"));
    Instant.parse(a.getString("modified"));
    assertEquals(get("/files/docs/a.txt").header("etag"), a.getString("etag"));
    assertEquals("c.txt", page.getString("next"));
  }

  @Test
  void pagesThroughEveryEntryOnce() {
    List<String> all = new ArrayList<>();
    String after = null;
    for (int pages = 0; pages < 10; pages++) {
      JsonObject page = get("/files/docs/" + (after == null ? "" : "?after=" + after)).json();
      all.addAll(names(page.getJsonArray("entries")));
      after = page.getString("next");
      if (after == null) {
        break;
      }
    }
    assertEquals(List.of("a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "sub"), all);
    JsonObject two = get("/files/docs/?limit=2&after=d.txt").json();
    assertEquals(List.of("e.txt", "sub"), names(two.getJsonArray("entries")));
    assertNull(two.getString("next"));
  }

  @Test
  void listsTheRootAndADirectoryWithoutItsSlash() {
    assertEquals(List.of("docs"), names(get("/files/").json().getJsonArray("entries")));
    assertEquals(List.of("docs"), names(get("/files").json().getJsonArray("entries")));
    assertEquals("directory", get("/files/").json().getJsonArray("entries").getJsonObject(0).getString("type"));
    assertEquals("docs/", get("/files/docs").json().getString("path"));
  }

  @Test
  void refusesALimitOutsideThePageSize() {
    assertEquals(400, get("/files/docs/?limit=4").status());
    assertEquals(400, get("/files/docs/?limit=0").status());
    assertEquals(400, get("/files/docs/?limit=x").status());
  }

  @Test
  void answersFilesListOnTheBus() {
    JsonObject page = TestKit.awaitUnchecked(vertx.eventBus().<JsonObject>request(Addresses.FILES_LIST,
      new JsonObject().put("path", "docs").put("after", "b.txt").put("limit", 2)), TIMEOUT).body();
    assertEquals("docs/", page.getString("path"));
    assertEquals(List.of("c.txt", "d.txt"), names(page.getJsonArray("entries")));
    assertEquals("d.txt", page.getString("next"));
    JsonObject rootPage = TestKit.awaitUnchecked(vertx.eventBus().<JsonObject>request(Addresses.FILES_LIST, null), TIMEOUT).body();
    assertEquals(List.of("docs"), names(rootPage.getJsonArray("entries")));
  }

  @Test
  void failsFilesListWith404And400() throws Exception {
    assertEquals(404, busFailure(new JsonObject().put("path", "nowhere")));
    assertEquals(404, busFailure(new JsonObject().put("path", "docs/a.txt")));
    assertEquals(400, busFailure(new JsonObject().put("path", "../")));
    assertEquals(400, busFailure(new JsonObject().put("path", "docs").put("limit", 99)));
  }

  private int busFailure(JsonObject request) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> TestKit.await(vertx.eventBus().request(Addresses.FILES_LIST, request), TIMEOUT));
    return assertInstanceOf(ReplyException.class, e.getCause()).failureCode();
  }

  private static List<String> names(JsonArray entries) {
    List<String> names = new ArrayList<>();
    entries.forEach(e -> names.add(((JsonObject) e).getString("name")));
    return names;
  }
}
