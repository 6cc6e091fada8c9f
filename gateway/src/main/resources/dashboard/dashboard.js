// The gateway's dashboard: polls /dashboard/state once a second and redraws the picture — the
// cluster's members, the gateway, every service node coloured by its health with a line whose width
// and motion follow its requests per second — and one sparkline per route for the last minute.
'use strict';
(() => {
  const STATE_URL = 'state';
  const POLL_MS = 1000;
  const SVG = 'http://www.w3.org/2000/svg';
  const topology = document.getElementById('topology');
  const routesBox = document.getElementById('routes');
  const status = document.getElementById('status');
  const summary = document.getElementById('summary');
  const CENTER = { x: 320, y: 220 };

  function el(name, attributes = {}, parent = null) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, attributes = {}) {
    const t = el('text', { x, y, 'text-anchor': 'middle', ...attributes }, parent);
    t.textContent = content;
    return t;
  }

  function nodeState(node) {
    if (node.circuit === undefined) return 'unchecked';
    if (!node.ready || node.circuit === 'open') return 'down';
    if (node.circuit === 'half_open') return 'half';
    return 'up';
  }

  function fmt(n, digits = 0) {
    return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  }

  function drawTopology(state) {
    topology.replaceChildren();
    // Members on an outer ring, drawn first so that everything else sits on top.
    const members = state.members;
    const memberAt = new Map();
    members.forEach((member, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, members.length) - Math.PI / 2;
      const g = el('g', { class: 'member', 'data-id': member.id, 'data-local': member.local }, topology);
      const x = CENTER.x + 285 * Math.cos(angle);
      const y = CENTER.y + 200 * Math.sin(angle);
      el('circle', { cx: x, cy: y, r: 7 }, g);
      text(g, x, y + 20, member.address + (member.local ? ' (gateway)' : ''), { class: 'muted' });
      memberAt.set(member.id, { x, y });
    });
    // Service nodes around the gateway, grouped by service.
    const nodes = state.nodes;
    nodes.forEach((node, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
      const x = CENTER.x + 190 * Math.cos(angle);
      const y = CENTER.y + 130 * Math.sin(angle);
      const rps = node.traffic ? node.traffic.rps : 0;
      const home = memberAt.get(node.member);
      if (home) el('line', { class: 'runs-on', x1: x, y1: y, x2: home.x, y2: home.y }, topology);
      const link = el('line', { class: 'link' + (rps > 0 ? ' busy' : ''), x1: CENTER.x, y1: CENTER.y, x2: x, y2: y,
        'stroke-width': 1 + Math.log2(1 + rps) }, topology);
      if (rps > 0) link.style.animationDuration = Math.max(0.15, 2 / Math.log10(10 + rps)) + 's';
      const g = el('g', { class: 'node', 'data-id': node.id, 'data-service': node.service, 'data-state': nodeState(node),
        'data-rps': rps }, topology);
      el('circle', { cx: x, cy: y, r: 16 }, g);
      text(g, x, y + 4, node.service);
      const where = node.ports.http !== undefined ? node.host + ':' + node.ports.http : node.host;
      text(g, x, y + 30, where, { class: 'muted' });
      if (node.traffic) text(g, x, y - 22, fmt(rps, rps < 10 ? 1 : 0) + ' req/s', { class: 'muted' });
      const title = el('title', {}, g);
      title.textContent = `${node.service} ${where}\nready: ${node.ready ?? 'not checked'}, circuit: ${node.circuit ?? '-'}, in flight: ${node.inFlight ?? '-'}`;
    });
    const gw = el('g', { class: 'gateway' }, topology);
    const hex = [...Array(6).keys()].map((k) => {
      const a = (Math.PI / 3) * k;
      return `${CENTER.x + 34 * Math.cos(a)},${CENTER.y + 34 * Math.sin(a)}`;
    }).join(' ');
    el('polygon', { points: hex }, gw);
    text(gw, CENTER.x, CENTER.y + 4, 'gateway');
    if (nodes.length === 0) text(topology, CENTER.x, CENTER.y + 70, 'no service node in the registry yet', { class: 'muted' });
  }

  function sparkline(history) {
    const svg = el('svg', { viewBox: `0 0 ${history.length} 40`, preserveAspectRatio: 'none' });
    const max = Math.max(1, ...history);
    const points = history.map((v, i) => `${i},${40 - (v / max) * 36}`).join(' ');
    el('polygon', { points: `0,40 ${points} ${history.length - 1},40` }, svg);
    el('polyline', { points }, svg);
    return svg;
  }

  function drawRoutes(state) {
    routesBox.replaceChildren();
    if (state.routes.length === 0) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'no routes configured';
      routesBox.appendChild(p);
    }
    for (const route of state.routes) {
      const row = document.createElement('div');
      row.className = 'route';
      row.dataset.route = route.route;
      row.dataset.rps = route.rps;
      const name = document.createElement('div');
      name.className = 'name';
      name.textContent = route.route;
      name.title = `${route.route} → ${route.service} (${route.policy})`;
      const figures = document.createElement('div');
      figures.className = 'figures';
      const rps = document.createElement('div');
      rps.className = 'rps';
      rps.textContent = fmt(route.rps, route.rps < 10 ? 1 : 0) + '/s';
      const detail = document.createElement('div');
      detail.textContent = `p99 ${fmt(route.p99Ms, 1)} ms`;
      if (route.errorRate > 0) {
        const errors = document.createElement('div');
        errors.className = 'bad';
        errors.textContent = `${fmt(route.errorRate * 100, 1)} % errors`;
        figures.append(rps, detail, errors);
      } else {
        figures.append(rps, detail);
      }
      row.append(name, sparkline(route.history), figures);
      routesBox.appendChild(row);
    }
  }

  async function poll() {
    try {
      const response = await fetch(STATE_URL, { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const state = await response.json();
      drawTopology(state);
      drawRoutes(state);
      const up = state.nodes.filter((n) => nodeState(n) === 'up').length;
      summary.textContent = `${state.members.length} members · ${state.nodes.length} service nodes, ${up} serving · updated ${new Date(state.at).toLocaleTimeString()}`;
      status.dataset.state = 'live';
      status.textContent = 'live';
    } catch (e) {
      status.dataset.state = 'offline';
      status.textContent = 'gateway unreachable';
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
