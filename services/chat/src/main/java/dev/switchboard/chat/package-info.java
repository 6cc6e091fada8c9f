/**
 * The WebSocket chat service: cluster-wide rooms with one sequence per room, presence, history
 * and resume, the chat page, and the {@code chat.rooms} bus address.
 */
package dev.switchboard.chat;
