// Run by ChatBridgeProcessTest: posts into a chat room through the bridge with the project's Node
// client, as a backend service would, and checks that a bad post is refused with 400.
// Prints the good post's answer as one line: "posted {...}".
import assert from 'node:assert/strict';
import { connect, BridgeError } from '../../../../services/bridge/clients/node/index.js';

const PATIENCE_MS = 30000;

const bus = await connect({
  host: process.env.BRIDGE_HOST,
  port: Number(process.env.BRIDGE_PORT),
  token: process.env.BRIDGE_TOKEN,
});

/** chat.post, asked again while the chat's consumer has not reached the bridge's node yet. */
async function post(body) {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await bus.request('chat.post', body);
    } catch (error) {
      if (!(error instanceof BridgeError) || error.code !== 'no_handlers' || Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

try {
  const reply = await post({ room: process.env.CHAT_ROOM, sender: 'deploy-bot', text: 'posted from Node' });
  assert.equal(reply.body.room, process.env.CHAT_ROOM);
  assert.ok(Number.isInteger(reply.body.seq) && reply.body.seq > 0, JSON.stringify(reply.body));

  for (const [body, says] of [
    [{ room: 'Not A Room', sender: 'deploy-bot', text: 'x' }, "'room'"],
    [{ room: process.env.CHAT_ROOM, sender: ' spaced', text: 'x' }, "'sender'"],
    [{ room: process.env.CHAT_ROOM, sender: 'deploy-bot', text: '' }, "'text'"],
    ['not an object', 'invalid_json'],
  ]) {
    const refused = await post(body).then(
      (answer) => assert.fail(`${JSON.stringify(body)} was answered ${JSON.stringify(answer.body)}`),
      (error) => error);
    assert.ok(refused instanceof BridgeError, String(refused));
    assert.equal(refused.code, 'recipient_failure');
    assert.equal(refused.failureCode, 400);
    assert.ok(refused.message.includes(says), `${refused.message} should say ${says}`);
  }
  console.log('posted ' + JSON.stringify(reply.body));
} finally {
  await bus.close();
}
