package dev.switchboard.files;

import dev.switchboard.files.ByteRanges.Range;
import dev.switchboard.files.FileRoot.Found;
import dev.switchboard.files.FileRoot.Stat;
import dev.switchboard.shared.Ids;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.TrustedProxies;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET} and {@code HEAD}: the file found through {@link FileRoot#find} (a directory goes to
 * {@link Listings}), its validators, conditional requests ({@code If-None-Match},
 * {@code If-Modified-Since}, {@code If-Range}) and byte ranges. One range or the whole file goes
 * from the open file to the socket with {@code sendFile} (zero-copy {@code sendfile(2)} on
 * Linux); several ranges are read one chunk at a time as {@code multipart/byteranges}. A body
 * sent holds one of the client's {@link TransferSlots}; the slot and the file are released when it
 * ends, however it ends.
 */
final class Downloads {

  // The service's lines share one logger name, so a level set for the service covers them all.
  private static final Logger log = LoggerFactory.getLogger(FilesVerticle.class);
  private static final CharSequence BYTES = HttpHeaders.createOptimized("bytes");
  private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
  private static final CharSequence RANGE = HttpHeaders.createOptimized("Range");
  private static final CharSequence IF_RANGE = HttpHeaders.createOptimized("If-Range");

  private final Vertx vertx;
  private final FileRoot root;
  private final Listings listings;
  private final TransferSlots slots;
  private final TrustedProxies clients;
  private final Counter downloads;

  /** {@code downloads} counts the bodies sent whole. */
  Downloads(Vertx vertx, FileRoot root, Listings listings, TransferSlots slots, TrustedProxies clients, Counter downloads) {
    this.vertx = vertx;
    this.root = root;
    this.listings = listings;
    this.slots = slots;
    this.clients = clients;
    this.downloads = downloads;
  }

  /** The handler of {@code GET} and {@code HEAD}: a file, a directory's listing, or 404. */
  void read(RoutingContext ctx) {
    RequestPath path = FileRequests.path(ctx);
    if (path == null) {
      return;
    }
    boolean body = ctx.request().method() == HttpMethod.GET;
    vertx.executeBlocking(() -> root.find(path, body), false)
      .onSuccess(found -> {
        if (found != null && found.channel() != null) {
          ctx.addEndHandler(done -> closeQuietly(found.channel()));
        }
        if (found == null || (path.trailingSlash() && !found.stat().directory())) {
          Refusal.notFound(ctx);
        } else if (found.stat().directory()) {
          listings.page(ctx, path, found.stat().path());
        } else {
          download(ctx, found);
        }
      })
      .onFailure(failure -> {
        if (failure instanceof AccessDeniedException) {
          // The service's own user may not read it: the file exists, but is not served.
          JsonErrors.send(ctx.response(), 403, new JsonObject().put("error", "forbidden").put("reason", "not readable by the service"));
        } else {
          ctx.fail(failure);
        }
      });
  }

  private void download(RoutingContext ctx, Found found) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    Stat stat = found.stat();
    long size = stat.size();
    String lastModified = HttpDates.format(stat.modifiedMillis());
    response.putHeader(HttpHeaders.ETAG, stat.etag())
      .putHeader(HttpHeaders.LAST_MODIFIED, lastModified)
      .putHeader(HttpHeaders.ACCEPT_RANGES, BYTES);
    if (notModified(request, stat)) {
      response.setStatusCode(304).end();
      return;
    }
    String type = contentType(stat.path());
    List<Range> ranges = request.method() == HttpMethod.GET && rangeApplies(request, stat)
      ? ByteRanges.parse(request.getHeader(RANGE), size)
      : null;
    if (ranges != null && ranges.isEmpty()) {
      response.putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
      JsonErrors.send(response, 416, new JsonObject().put("error", "range not satisfiable")
        .put("range", request.getHeader(RANGE)).put("size", size));
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, type);
    if (request.method() == HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(size)).end();
      return;
    }
    Runnable release = slots.take(ctx);
    if (release == null) {
      return;
    }
    FileChannel channel = found.channel();
    Future<Void> sent;
    if (ranges == null) {
      sent = size == 0 ? response.putHeader(HttpHeaders.CONTENT_LENGTH, "0").end() : response.sendFile(channel, 0, size);
    } else if (ranges.size() == 1) {
      Range range = ranges.get(0);
      response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE, range.contentRange(size));
      sent = response.sendFile(channel, range.first(), range.length());
    } else {
      sent = multipart(response, channel, type, ranges, size);
    }
    // Once sendFile has started, a closed connection fails only this future (the response's end
    // and close handlers stay silent in Vert.x 5.0.8), so the slot and the file are freed here too.
    sent.onComplete(done -> {
      release.run();
      closeQuietly(channel);
      if (done.succeeded()) {
        downloads.increment();
      } else {
        log.debug("GET {} to {} ended early: {}", request.path(), clients.client(request), done.cause().getMessage());
      }
    });
  }

  /**
   * Several ranges as {@code multipart/byteranges}: the parts are read from the open file one chunk
   * at a time, each written after the previous one left, so memory is one chunk per response.
   */
  private Future<Void> multipart(HttpServerResponse response, FileChannel channel, String type, List<Range> ranges, long size) {
    String boundary = Ids.randomUuid().toString().replace("-", "");
    List<Buffer> heads = new ArrayList<>(ranges.size());
    long length = 0;
    for (int i = 0; i < ranges.size(); i++) {
      Range range = ranges.get(i);
      Buffer head = Buffer.buffer((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\n"
        + "Content-Type: " + type + "\r\n"
        + "Content-Range: " + range.contentRange(size) + "\r\n\r\n");
      heads.add(head);
      length += head.length() + range.length();
    }
    Buffer tail = Buffer.buffer("\r\n--" + boundary + "--\r\n");
    length += tail.length();
    response.setStatusCode(206)
      .putHeader(HttpHeaders.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary)
      .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < ranges.size(); i++) {
      Buffer head = heads.get(i);
      Range range = ranges.get(i);
      chain = chain.compose(v -> response.write(head))
        .compose(v -> copy(channel, range.first(), range.length(), response));
    }
    return chain.compose(v -> response.end(tail));
  }

  private Future<Void> copy(FileChannel channel, long position, long remaining, HttpServerResponse response) {
    if (remaining == 0) {
      return Future.succeededFuture();
    }
    int n = (int) Math.min(FilesVerticle.MULTIPART_CHUNK, remaining);
    return vertx.executeBlocking(() -> {
      ByteBuffer chunk = ByteBuffer.allocate(n);
      while (chunk.hasRemaining()) {
        if (channel.read(chunk, position + chunk.position()) < 0) {
          throw new EOFException("file shrank while being sent");
        }
      }
      return Buffer.buffer(chunk.array());
    }, false)
      .compose(response::write)
      .compose(v -> copy(channel, position + n, remaining - n, response));
  }

  /** If-None-Match (weak comparison, {@code *} for any), else If-Modified-Since at one-second precision. */
  private static boolean notModified(HttpServerRequest request, Stat stat) {
    String noneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    if (noneMatch != null) {
      return Etags.anyMatches(noneMatch, stat.etag(), false);
    }
    long since = HttpDates.parseSeconds(request.getHeader(HttpHeaders.IF_MODIFIED_SINCE));
    return since >= 0 && stat.modifiedMillis() / 1000 <= since;
  }

  /** Without If-Range the Range applies; with it only while the file is the one the client names. */
  private static boolean rangeApplies(HttpServerRequest request, Stat stat) {
    String ifRange = request.getHeader(IF_RANGE);
    if (ifRange == null) {
      return true;
    }
    String value = ifRange.trim();
    if (value.startsWith("\"")) {
      return value.equals(stat.etag());
    }
    if (value.startsWith("W/")) {
      return false;
    }
    long date = HttpDates.parseSeconds(value);
    return date >= 0 && date == stat.modifiedMillis() / 1000;
  }

  private static String contentType(Path file) {
    String type = MimeMapping.mimeTypeForFilename(file.getFileName().toString());
    if (type == null) {
      return OCTET_STREAM.toString();
    }
    return type.startsWith("text/") ? type + "; charset=utf-8" : type;
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("closing a served file failed: {}", e.getMessage());
    }
  }
}
