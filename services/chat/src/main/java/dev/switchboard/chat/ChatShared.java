package dev.switchboard.chat;

import dev.switchboard.shared.ServiceRuntime;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the chat verticle instances of one process share: the connection count, the process's node id for standalone runs, meters. */
final class ChatShared {

  final AtomicInteger open = new AtomicInteger();
  final AtomicLong serials = new AtomicLong();
  /** One instance per process sweeps idle rooms (any node may, at the same time as others). */
  final AtomicBoolean sweeper = new AtomicBoolean();
  final String standaloneNode = UUID.randomUUID().toString();
  final Counter messages;
  final Counter cutOffs;

  ChatShared(ServiceRuntime runtime) {
    Gauge.builder("switchboard.chat.connections", open, AtomicInteger::get)
      .description("Open WebSocket connections").register(runtime.meters());
    messages = Counter.builder("switchboard.chat.messages").description("Messages numbered by this process").register(runtime.meters());
    cutOffs = Counter.builder("switchboard.chat.cutoffs").description("Connections cut off for not reading").register(runtime.meters());
  }
}
