// Switchboard chat page: plain browser JavaScript, no build step. Speaks the protocol described in
// the chat service's README over /chat, reconnects by itself and resumes with `since`. Given a token
// (`#access_token=` or `?access_token=` in the address), it sends it as each connection's first
// message, and the nickname is the one the token names.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 5000;
  const TYPING_EVERY_MS = 2000;
  const TYPING_SHOWN_MS = 3000;

  let ws = null;
  let room = null;
  let nickname = null;
  let lastSeq = null;          // highest sequence number shown; `since` on reconnect
  let retryMs = RECONNECT_MIN_MS;
  let lastTyping = 0;
  const members = new Set();
  const typing = new Map();    // nickname -> timer
  const outbox = new Map();    // clientId -> text, until acked

  // The token, if the page was opened with one. Kept in the fragment only: a fragment never leaves
  // the browser, while a query string ends up in access logs and Referer headers.
  function readToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    return fragment.get('access_token') || new URLSearchParams(location.search).get('access_token');
  }
  const token = readToken();

  function newClientId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }

  // This tab's secret for its nickname: a reconnect (or a reload) that comes before the server has
  // noticed the old connection gone takes the nickname back instead of being refused.
  function session() {
    let value = null;
    try {
      value = sessionStorage.getItem('switchboard-chat-session');
      if (!value) {
        value = newClientId();
        sessionStorage.setItem('switchboard-chat-session', value);
      }
    } catch (e) {
      value = value || newClientId();
    }
    return value;
  }
  const mySession = session();

  function status(state) {
    $('status').textContent = state;
    $('status').dataset.state = state;
  }

  function url() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat';
  }

  function connect() {
    status(lastSeq === null ? 'connecting' : 'reconnecting');
    ws = new WebSocket(url());
    ws.onopen = () => {
      const join = { type: 'join', room, session: mySession };
      if (token) {
        // A browser cannot set headers on a WebSocket: the token is the first message instead.
        ws.send(JSON.stringify({ type: 'auth', token }));
      } else {
        join.nickname = nickname;
      }
      if (lastSeq !== null) {
        join.since = lastSeq;
      }
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = (event) => handle(JSON.parse(event.data));
    ws.onclose = (event) => {
      status('reconnecting');
      ws = null;
      if (event.code === 1008 || event.code === 1009) {
        $('error').textContent = 'closed by the server: ' + event.code + ' ' + event.reason;
      }
      if (event.code === 1008 && event.reason.startsWith('unauthorized')) {
        // The same token would be refused again: no reconnecting; open the page with a new token.
        status('offline');
        return;
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  function handle(e) {
    switch (e.type) {
      case 'authenticated':
        nickname = e.nickname;
        $('room-title').textContent = '#' + room + ' as ' + nickname;
        break;
      case 'joined':
        if (e.self) {
          status('online');
          retryMs = RECONNECT_MIN_MS;
          $('error').textContent = '';
          if (lastSeq !== null && e.seq < lastSeq) {
            lastSeq = e.seq; // the room's history started over (the whole cluster restarted)
          }
          if (e.truncated) {
            notice('some messages were missed while away');
          }
          // Messages sent while offline go again; the server drops any it already has.
          outbox.forEach((text, clientId) => send({ type: 'message', text, clientId }));
        } else {
          members.add(e.nickname);
          renderMembers();
          notice(e.nickname + ' joined');
        }
        break;
      case 'presence':
        members.clear();
        e.members.forEach((m) => members.add(m));
        renderMembers();
        break;
      case 'left':
        if (!e.self) {
          members.delete(e.nickname);
          renderMembers();
          notice(e.nickname + ' left');
        }
        break;
      case 'message':
        if (lastSeq === null || e.seq > lastSeq) {
          lastSeq = e.seq;
          show(e);
        }
        break;
      case 'ack':
        outbox.delete(e.clientId);
        break;
      case 'typing':
        showTyping(e.nickname);
        break;
      case 'error':
        $('error').textContent = e.code + ': ' + e.message;
        if (e.code === 'nickname_taken' || e.code === 'forbidden' || e.code === 'session_taken') {
          // Someone else has this nickname in the room, or the token does not open it, or a newer
          // connection of this tab's session (a copy of the tab) took over: back to the form, no
          // reconnecting (which would take the nickname back and forth).
          const taken = ws;
          ws = null;
          taken.onclose = null;
          taken.close(1000);
          status('offline');
          $('chat').hidden = true;
          $('join-form').hidden = false;
        }
        break;
      default:
        break;
    }
  }

  function show(m) {
    const li = document.createElement('li');
    li.dataset.seq = m.seq;
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = new Date(m.time).toLocaleTimeString();
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = m.sender;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.text;
    li.append(time, sender, text);
    append(li);
    clearTyping(m.sender);
  }

  function notice(text) {
    const li = document.createElement('li');
    li.className = 'notice';
    li.textContent = text;
    append(li);
  }

  function append(li) {
    const list = $('messages');
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    list.append(li);
    if (atBottom) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function renderMembers() {
    const list = $('members');
    list.replaceChildren(...[...members].sort().map((m) => {
      const li = document.createElement('li');
      li.textContent = m;
      return li;
    }));
  }

  function showTyping(who) {
    clearTimeout(typing.get(who));
    typing.set(who, setTimeout(() => clearTyping(who), TYPING_SHOWN_MS));
    renderTyping();
  }

  function clearTyping(who) {
    clearTimeout(typing.get(who));
    typing.delete(who);
    renderTyping();
  }

  function renderTyping() {
    const who = [...typing.keys()];
    $('typing').textContent = who.length === 0 ? '' : who.join(', ') + (who.length === 1 ? ' is' : ' are') + ' typing…';
  }

  function send(command) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(command));
    }
  }

  function start(r, n) {
    room = r;
    nickname = token ? null : n;
    const params = new URLSearchParams({ room });
    if (nickname) {
      params.set('nickname', nickname);
    }
    history.replaceState(null, '', '?' + params + (token ? '#' + new URLSearchParams({ access_token: token }) : ''));
    $('join-form').hidden = true;
    $('chat').hidden = false;
    $('room-title').textContent = '#' + room + (nickname ? ' as ' + nickname : '');
    connect();
  }

  if (token) {
    // The token names this user; there is no nickname to choose.
    $('nickname-label').hidden = true;
    $('nickname').required = false;
  }

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    start($('room').value.trim(), $('nickname').value.trim());
  });

  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!text.trim()) {
      return;
    }
    const clientId = newClientId();
    outbox.set(clientId, text);
    send({ type: 'message', text, clientId });
    $('text').value = '';
  });

  $('text').addEventListener('input', () => {
    const now = Date.now();
    if (now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      send({ type: 'typing' });
    }
  });

  // A reload keeps room and nickname in the address, joins again and gets the history back.
  const params = new URLSearchParams(location.search);
  if (params.get('room') && (params.get('nickname') || token)) {
    $('room').value = params.get('room');
    $('nickname').value = params.get('nickname') || '';
    start(params.get('room'), params.get('nickname'));
  } else if (token) {
    // Out of the query string at once, even before a room is picked.
    history.replaceState(null, '', '?' + new URLSearchParams([...params].filter(([k]) => k !== 'access_token'))
      + '#' + new URLSearchParams({ access_token: token }));
  }
})();
