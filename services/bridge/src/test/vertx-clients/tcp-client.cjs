// Drives the Vert.x project's TCP event bus bridge client for Node.js (npm vertx3-tcp-eventbus-client,
// unmodified) against the bridge: node tcp-client.cjs PORT TOKEN. The token goes in the
// authorization header of every frame (the client's defaultHeaders); its first frame is a ping,
// which carries none. Prints one line per step and "OK" at the end; exits 1 at the first surprise.
'use strict';
// The package has no main entry: its module is lib/tcp-vertx-eventbus.js.
const EventBus = require('vertx3-tcp-eventbus-client/lib/tcp-vertx-eventbus.js');

const [port, token] = process.argv.slice(2);
const DEADLINE_MS = 30_000;
const MAX_PUBLISHES = 50;

function fail(why) {
  console.log(`FAIL ${why}`);
  process.exit(1);
}

function expect(condition, why) {
  if (!condition) {
    fail(why);
  }
}

setTimeout(() => fail('not done in time'), DEADLINE_MS).unref();

const eb = new EventBus('127.0.0.1', Number(port));
eb.defaultHeaders = { authorization: `Bearer ${token}` };
// err frames that match no handler of the client land here; only the one asked for below is expected
let expectOrphanErr = null;
eb.onerror = (error) => {
  if (expectOrphanErr && error && error.type === 'err') {
    const next = expectOrphanErr;
    expectOrphanErr = null;
    next(error);
    return;
  }
  fail(`unexpected error: ${JSON.stringify(error && error.type ? error : String(error))}`);
};

const steps = [requestAndReply, registerAndReceive, refusedRequest, refusedRegistration, refusedPublish, failedRequest];

eb.onopen = () => next();

function next() {
  const step = steps.shift();
  if (step) {
    step(next);
  } else {
    console.log('OK');
    process.exit(0);
  }
}

function requestAndReply(done) {
  eb.send('test.echo', { hello: 'bridge' }, (err, reply) => {
    expect(!err, `request failed: ${JSON.stringify(err)}`);
    expect(reply.type === 'message' && reply.body.hello === 'bridge', `unexpected reply ${JSON.stringify(reply)}`);
    console.log('request answered');
    done();
  });
}

function registerAndReceive(done) {
  let received = false;
  let publishes = 0;
  eb.registerHandler('client.vertx', (err, message) => {
    expect(!err, `handler got an error: ${JSON.stringify(err)}`);
    if (!received) {
      received = true;
      expect(message.body.n >= 1, `unexpected message ${JSON.stringify(message)}`);
      console.log('registered address received a message');
      done();
    }
  });
  // test.publish publishes its body's body on its body's address, then answers; the registration
  // has no answer of its own in this protocol, so publish until the message comes, a bounded number of times
  const publish = () => {
    if (received) {
      return;
    }
    expect(publishes++ < MAX_PUBLISHES, `nothing received after ${MAX_PUBLISHES} publishes`);
    eb.send('test.publish', { address: 'client.vertx', body: { n: publishes } }, (err) => {
      expect(!err, `test.publish failed: ${JSON.stringify(err)}`);
      publish();
    });
  };
  publish();
}

function refusedRequest(done) {
  eb.send('denied.echo', { hello: 'nobody' }, (err, reply) => {
    expect(err && err.message === 'access_denied', `expected access_denied in message, got ${JSON.stringify(err || reply)}`);
    console.log('refused request: access_denied');
    done();
  });
}

function refusedRegistration(done) {
  eb.registerHandler('denied.room', (err, message) => {
    expect(err && err.message === 'access_denied', `expected access_denied in message, got ${JSON.stringify(err || message)}`);
    console.log('refused registration: access_denied');
    done();
  });
}

function refusedPublish(done) {
  expectOrphanErr = (error) => {
    expect(error.message === 'access_denied' && error.address === 'denied.news', `unexpected ${JSON.stringify(error)}`);
    console.log('refused publish: access_denied');
    done();
  };
  eb.publish('denied.news', { hello: 'nobody' });
}

function failedRequest(done) {
  eb.send('test.fail', {}, (err, reply) => {
    expect(err && err.failureType === 'RECIPIENT_FAILURE' && err.failureCode === 42 && err.message === 'failed on purpose',
      `expected the handler's failure, got ${JSON.stringify(err || reply)}`);
    console.log('failed request: the handler\'s code and message');
    done();
  });
}
