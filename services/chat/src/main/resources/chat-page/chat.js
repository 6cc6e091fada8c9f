// Switchboard chat page: plain browser JavaScript, no build step. Speaks the protocol described in
// the chat service's README over /chat: several rooms on one connection (each joined with `add`),
// reconnects by itself and resumes each room with its own `since`. Given a token
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
  let nickname = null;
  let current = null;          // the room shown
  let everOnline = false;
  let retryMs = RECONNECT_MIN_MS;
  let lastTyping = 0;
  // Room name -> { lastSeq (highest sequence number shown; `since` on reconnect), members, typing
  // (nickname -> timer), list (its messages), item (its entry in the room list), unread }.
  const rooms = new Map();
  const outbox = new Map();    // clientId -> { room, text }, until acked

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

  function joinCommand(name) {
    const join = { type: 'join', room: name, session: mySession, add: true };
    if (!token) {
      join.nickname = nickname;
    }
    const since = rooms.get(name).lastSeq;
    if (since !== null) {
      join.since = since;
    }
    return join;
  }

  function connect() {
    status(everOnline ? 'reconnecting' : 'connecting');
    ws = new WebSocket(url());
    ws.onopen = () => {
      if (token) {
        // A browser cannot set headers on a WebSocket: the token is the first message instead.
        ws.send(JSON.stringify({ type: 'auth', token }));
      }
      rooms.forEach((room, name) => ws.send(JSON.stringify(joinCommand(name))));
    };
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => (typeof event.data === 'string' ? handle(JSON.parse(event.data)) : binary(event.data));
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
    const room = e.room === undefined ? null : rooms.get(e.room);
    switch (e.type) {
      case 'authenticated':
        nickname = e.nickname;
        renderTitle();
        break;
      case 'joined':
        if (!room) {
          break;
        }
        if (e.self) {
          status('online');
          everOnline = true;
          retryMs = RECONNECT_MIN_MS;
          $('error').textContent = '';
          if (room.lastSeq !== null && e.seq < room.lastSeq) {
            room.lastSeq = e.seq; // the room's history started over (the whole cluster restarted)
          }
          if (e.truncated) {
            notice(room, 'some messages were missed while away');
          }
          // Messages sent while offline go again; the server drops any it already has.
          outbox.forEach((m, clientId) => {
            if (m.room === e.room) {
              send({ type: 'message', room: m.room, text: m.text, clientId });
            }
          });
        } else {
          room.members.add(e.nickname);
          renderMembers();
          notice(room, e.nickname + ' joined');
        }
        break;
      case 'presence':
        if (room) {
          room.members.clear();
          e.members.forEach((m) => room.members.add(m));
          renderMembers();
        }
        break;
      case 'left':
        if (room && !e.self) {
          room.members.delete(e.nickname);
          renderMembers();
          notice(room, e.nickname + ' left');
        }
        break;
      case 'message':
        if (room && (room.lastSeq === null || e.seq > room.lastSeq)) {
          room.lastSeq = e.seq;
          show(room, e);
        }
        break;
      case 'ack':
        outbox.delete(e.clientId);
        break;
      case 'typing':
        if (room) {
          showTyping(room, e.nickname);
        }
        break;
      case 'error':
        $('error').textContent = e.code + ': ' + e.message;
        if (e.code === 'session_taken' || ((e.code === 'nickname_taken' || e.code === 'forbidden') && rooms.size <= 1)) {
          // A newer connection of this tab's session (a copy of the tab) took over, or the only room
          // cannot be joined (someone else has this nickname in it, or the token does not open it):
          // back to the form, no reconnecting (which would take the nickname back and forth).
          const taken = ws;
          ws = null;
          taken.onclose = null;
          taken.close(1000);
          [...rooms.keys()].forEach(drop);
        } else if (e.room && ['nickname_taken', 'forbidden', 'too_many_rooms'].includes(e.code)) {
          drop(e.room); // one room refused; the others stay
        }
        break;
      default:
        break;
    }
  }

  // A binary message (the README's "Binary messages"): the page does not send them; it says who sent how much.
  function binary(data) {
    const bytes = new Uint8Array(data);
    if (bytes.length < 3 || bytes[0] !== 1) {
      return;
    }
    const roomEnd = 2 + bytes[1];
    const senderEnd = roomEnd + 1 + bytes[roomEnd];
    const decoder = new TextDecoder();
    const room = rooms.get(decoder.decode(bytes.subarray(2, roomEnd)));
    if (room && senderEnd <= bytes.length) {
      notice(room, decoder.decode(bytes.subarray(roomEnd + 1, senderEnd)) + ' sent ' + (bytes.length - senderEnd) + ' bytes of binary data');
    }
  }

  function show(room, m) {
    const li = document.createElement('li');
    li.dataset.seq = m.seq;
    if (m.system) {
      li.className = 'system';
    }
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
    append(room, li);
    clearTyping(room, m.sender);
    if (room !== rooms.get(current)) {
      room.unread++;
      renderRoomItem(room);
    }
  }

  function notice(room, text) {
    const li = document.createElement('li');
    li.className = 'notice';
    li.textContent = text;
    append(room, li);
  }

  function append(room, li) {
    const list = room.list;
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    list.append(li);
    if (atBottom) {
      list.scrollTop = list.scrollHeight;
    }
  }

  function renderTitle() {
    $('room-title').textContent = current === null ? '' : '#' + current + (nickname ? ' as ' + nickname : '');
  }

  function renderMembers() {
    const room = rooms.get(current);
    const list = $('members');
    list.replaceChildren(...(room ? [...room.members] : []).sort().map((m) => {
      const li = document.createElement('li');
      li.textContent = m;
      return li;
    }));
  }

  function renderRoomItem(room) {
    const badge = room.item.querySelector('.unread');
    badge.textContent = room.unread > 0 ? String(room.unread) : '';
    badge.hidden = room.unread === 0;
  }

  function showTyping(room, who) {
    clearTimeout(room.typing.get(who));
    room.typing.set(who, setTimeout(() => clearTyping(room, who), TYPING_SHOWN_MS));
    renderTyping();
  }

  function clearTyping(room, who) {
    clearTimeout(room.typing.get(who));
    room.typing.delete(who);
    renderTyping();
  }

  function renderTyping() {
    const room = rooms.get(current);
    const who = room ? [...room.typing.keys()] : [];
    $('typing').textContent = who.length === 0 ? '' : who.join(', ') + (who.length === 1 ? ' is' : ' are') + ' typing…';
  }

  function send(command) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(command));
    }
  }

  // Shows a room: its messages, members and typing; the list marks it as the current one.
  function select(name) {
    const previous = rooms.get(current);
    if (previous) {
      previous.list.removeAttribute('id');
      previous.list.hidden = true;
      previous.item.removeAttribute('aria-current');
    }
    current = name;
    const room = rooms.get(name);
    if (room) {
      room.list.id = 'messages';
      room.list.hidden = false;
      room.list.scrollTop = room.list.scrollHeight;
      room.item.setAttribute('aria-current', 'true');
      room.unread = 0;
      renderRoomItem(room);
    }
    renderTitle();
    renderMembers();
    renderTyping();
    remember();
  }

  // Adds a room to the page (and joins it, if connected).
  function addRoom(name) {
    if (rooms.has(name)) {
      select(name);
      return;
    }
    const list = document.createElement('ol');
    list.className = 'messages';
    list.hidden = true;
    $('room-views').append(list);
    const item = document.createElement('li');
    item.dataset.room = name;
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'room';
    open.textContent = '#' + name;
    open.addEventListener('click', () => select(name));
    const unread = document.createElement('span');
    unread.className = 'unread';
    unread.hidden = true;
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.className = 'leave';
    leave.title = 'leave #' + name;
    leave.textContent = '×';
    leave.addEventListener('click', () => {
      send({ type: 'leave', room: name });
      drop(name);
    });
    item.append(open, unread, leave);
    $('rooms').append(item);
    rooms.set(name, { lastSeq: null, members: new Set(), typing: new Map(), list, item, unread: 0 });
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(joinCommand(name)));
    }
    select(name);
  }

  // Forgets a room (left, or refused); with none left, back to the join form.
  function drop(name) {
    const room = rooms.get(name);
    if (!room) {
      return;
    }
    room.typing.forEach((timer) => clearTimeout(timer));
    room.list.remove();
    room.item.remove();
    rooms.delete(name);
    outbox.forEach((m, clientId) => {
      if (m.room === name) {
        outbox.delete(clientId);
      }
    });
    if (current === name) {
      current = null;
      select(rooms.size > 0 ? rooms.keys().next().value : null);
    }
    if (rooms.size === 0) {
      if (ws) {
        const closing = ws;
        ws = null;
        closing.onclose = null;
        closing.close(1000);
      }
      status('offline');
      $('chat').hidden = true;
      $('join-form').hidden = false;
    }
    remember();
  }

  // The address keeps the rooms (the shown one first) and the nickname, so a reload comes back to them.
  function remember() {
    if (rooms.size === 0) {
      return;
    }
    const names = [...rooms.keys()].sort((a, b) => (a === current ? -1 : b === current ? 1 : 0));
    const params = new URLSearchParams(names.map((name) => ['room', name]));
    if (nickname && !token) {
      params.set('nickname', nickname);
    }
    history.replaceState(null, '', '?' + params + (token ? '#' + new URLSearchParams({ access_token: token }) : ''));
  }

  function start(names, n) {
    nickname = token ? null : n;
    $('join-form').hidden = true;
    $('chat').hidden = false;
    names.forEach(addRoom);
    select(names[0]);
    if (!ws) {
      connect();
    }
  }

  if (token) {
    // The token names this user; there is no nickname to choose.
    $('nickname-label').hidden = true;
    $('nickname').required = false;
  }

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    start([$('room').value.trim()], $('nickname').value.trim());
  });

  $('add-room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('new-room').value.trim();
    if (name) {
      addRoom(name);
      $('new-room').value = '';
    }
  });

  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!text.trim()) {
      return;
    }
    if (current === null) {
      return;
    }
    const clientId = newClientId();
    outbox.set(clientId, { room: current, text });
    send({ type: 'message', room: current, text, clientId });
    $('text').value = '';
  });

  $('text').addEventListener('input', () => {
    const now = Date.now();
    if (now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      if (current !== null) {
        send({ type: 'typing', room: current });
      }
    }
  });

  // A reload keeps the rooms and the nickname in the address, joins again and gets the history back.
  const params = new URLSearchParams(location.search);
  const wanted = [...new Set(params.getAll('room').filter((name) => /^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)))];
  if (wanted.length > 0 && (params.get('nickname') || token)) {
    $('room').value = wanted[0];
    $('nickname').value = params.get('nickname') || '';
    start(wanted, params.get('nickname'));
  } else if (token) {
    // Out of the query string at once, even before a room is picked.
    history.replaceState(null, '', '?' + new URLSearchParams([...params].filter(([k]) => k !== 'access_token'))
      + '#' + new URLSearchParams({ access_token: token }));
  }
})();
