// The lesson board's page (docs/lesson-board.md). The live panel and the rows' email times are
// pushed by the board's GET /api/events stream (EventSource: an event at once when an email
// lands, and with each sample ~4x/s); while that stream is down the page polls GET /api/state
// four times a second and retries the stream every few seconds. Drives the knobs through the
// board's control endpoints, with the run's token.
'use strict';
(function () {
  const token = document.querySelector('meta[name=board-token]').content;
  const config = JSON.parse(document.body.dataset.config);
  const $ = (id) => document.getElementById(id);
  const MAX_ROWS = 200;          // per column; older rows are dropped
  const CHART_WINDOW_MS = 180000;
  const state = { samples: [], lastSeq: 0, lastMail: 0, rows: new Map(), order: [],
                  mails: new Map(), loads: [], lastLoadStart: 0, seen: 0,
                  streaming: false, pushed: 0 };
  window.board = state;          // read by tests/browser/board_browser_test.py

  function say(text) { $('message').textContent = text || ''; }

  async function control(path, body) {
    const reply = await fetch(path, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-Board-Token': token } });
    const json = await reply.json().catch(() => ({ error: 'unreadable reply' }));
    if (!reply.ok) throw new Error(json.error || ('HTTP ' + reply.status));
    return json;
  }

  function fmtMs(ms) {
    if (ms === undefined || ms === null || isNaN(ms)) return '…';
    return ms >= 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms) + ' ms';
  }

  function parseServerTiming(header) {
    const out = [];
    for (const part of (header || '').split(',')) {
      const m = /^\s*([^;\s]+)(?:;.*?dur=([0-9.]+))?/.exec(part);
      if (m && m[2] !== undefined) out.push({ name: m[1], ms: parseFloat(m[2]) });
    }
    return out;
  }

  function parseFibTiming(header) {
    const stamps = { stages: [] };
    for (const item of (header || '').split(';')) {
      const eq = item.indexOf('=');
      if (eq < 0) continue;
      const key = item.slice(0, eq).trim(), value = item.slice(eq + 1).trim();
      if (key === 'stage') {
        const colon = value.lastIndexOf(':');
        stamps.stages.push({ name: decodeURIComponent(value.slice(0, colon)),
                             us: parseInt(value.slice(colon + 1), 10) });
      } else if (/^[0-9]+$/.test(value)) {
        stamps[key] = parseInt(value, 10);
      }
    }
    return stamps;
  }

  // ---- submissions ----
  function setupForm(form) {
    form.sequence_length.value = config.sequence_length;
    for (const name of config.profiles) form.profile.add(new Option(name, name));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const variant = form.dataset.variant;
      const body = { variant, email: form.email.value, profile: form.profile.value,
                     sequence_length: parseInt(form.sequence_length.value, 10) };
      const row = { variant, sentAt: Date.now(), n: ++state.seen, browserMs: null };
      const t0 = performance.now();
      try {
        const reply = await control('/api/submit', body);
        row.browserMs = performance.now() - t0;
        Object.assign(row, { id: reply.request_id, status: reply.status,
                             serverTiming: parseServerTiming(reply.server_timing),
                             boardSentAt: reply.sent_at_ms });
        row.serverMs = row.serverTiming.reduce((sum, m) => sum + m.ms, 0);
        addRow(row);
      } catch (error) { say(variant + ': ' + error.message); }
    });
  }

  function addRow(row) {
    state.rows.set(row.id, row);
    state.order.push(row.id);
    const tbody = $(row.variant + '-rows');
    const tr = document.createElement('tr');
    tr.className = 'row';
    tr.dataset.requestId = row.id;
    for (const cls of ['n', 'browser-ms', 'server-ms', 'email-ms']) {
      const td = document.createElement('td');
      td.className = cls;
      tr.appendChild(td);
    }
    tr.addEventListener('click', () => showWaterfall(row.id));
    row.tr = tr;
    tbody.prepend(tr);
    while (tbody.children.length > MAX_ROWS) {
      const old = tbody.lastElementChild;
      state.rows.delete(old.dataset.requestId);
      old.remove();
    }
    // The chart's order of rows keeps only rows still shown (it grew by one per row forever).
    if (state.order.length > 2 * MAX_ROWS) state.order = state.order.filter((id) => state.rows.has(id));
    const mail = state.mails.get(row.id);
    if (mail) row.mail = mail;
    renderRow(row);
  }

  state.addRow = addRow;         // the browser test fills the columns with it (row bounds)

  function renderRow(row) {
    const cells = row.tr.children;
    cells[0].textContent = row.n + (row.status !== 200 ? ' (' + row.status + ')' : '');
    cells[1].textContent = fmtMs(row.browserMs);
    cells[2].textContent = fmtMs(row.serverMs);
    cells[3].textContent = row.mail ? fmtMs(row.mail.received_at_us / 1000 - row.sentAt) : '…';
    cells[3].classList.toggle('pending', !row.mail);
  }

  // ---- the waterfall of one row: web stages from Server-Timing, job stages from the email ----
  function showWaterfall(id) {
    const row = state.rows.get(id);
    if (!row) return;
    for (const tr of document.querySelectorAll('tr.row.selected')) tr.classList.remove('selected');
    row.tr.classList.add('selected');
    const bars = [];
    let at = 0;
    const t = row.mail ? parseFibTiming(row.mail.fib_timing) : null;
    const base = row.sentAt;
    const rel = (us) => us / 1000 - base;
    if (t && t.req) { bars.push({ name: 'to web', from: 0, to: rel(t.req) }); at = rel(t.req); }
    for (const m of row.serverTiming) { bars.push({ name: 'web: ' + m.name, from: at, to: at + m.ms }); at += m.ms; }
    bars.push({ name: 'response in the browser', from: 0, to: row.browserMs });
    if (t) {
      if (t.enq && t.fetch) bars.push({ name: 'queue wait', from: rel(t.enq), to: rel(t.fetch) });
      if (t.fetch && t.perform) bars.push({ name: 'pickup', from: rel(t.fetch), to: rel(t.perform) });
      let stageAt = t.perform ? rel(t.perform) : at;
      for (const s of t.stages) { bars.push({ name: 'job: ' + s.name, from: stageAt, to: stageAt + s.us / 1000 }); stageAt += s.us / 1000; }
      if (t.smtp && rel(t.smtp) > stageAt + 0.5) bars.push({ name: 'job', from: stageAt, to: rel(t.smtp) });
      if (t.smtp) bars.push({ name: 'smtp', from: rel(t.smtp), to: rel(row.mail.received_at_us) });
      bars.push({ name: 'email arrived', from: 0, to: rel(row.mail.received_at_us) });
    }
    const end = Math.max(1, ...bars.map((b) => b.to));
    const body = $('waterfall-body');
    body.className = '';
    body.textContent = '';
    const title = document.createElement('div');
    title.textContent = row.variant + ' #' + row.n + ' (' + row.id + ')' + (row.mail ? '' : ' — email not yet arrived');
    body.appendChild(title);
    for (const b of bars) {
      const div = document.createElement('div');
      div.className = 'bar';
      const i = document.createElement('i');
      i.style.left = (100 * Math.max(0, b.from) / end) + '%';
      i.style.width = Math.max(0.3, 100 * (b.to - b.from) / end) + '%';
      const label = document.createElement('span');
      label.textContent = b.name + ' ' + fmtMs(b.to - b.from);
      div.append(i, label);
      body.appendChild(div);
    }
  }

  // ---- live state: pushed; polled only while the stream is down ----
  const STREAM_RETRY_MS = 3000;
  function stream() {
    const source = new EventSource('/api/events?since=' + state.lastSeq +
                                   '&since_mail=' + state.lastMail);
    source.onmessage = (event) => {
      state.streaming = true;
      state.pushed++;
      apply(JSON.parse(event.data));
    };
    source.onerror = () => {
      // Closed here (EventSource would retry with its first URL's stale since); polling takes
      // over, and a new stream starts from what the page has.
      source.close();
      state.streaming = false;
      setTimeout(stream, STREAM_RETRY_MS);
    };
  }

  async function poll() {
    if (!state.streaming) {
      try {
        const reply = await fetch('/api/state?since=' + state.lastSeq + '&since_mail=' + state.lastMail);
        if (reply.ok && !state.streaming) apply(await reply.json());
      } catch (error) { say('board unreachable: ' + error.message); }
    }
    setTimeout(poll, 250);
  }

  function apply(s) {
    for (const sample of s.samples) {
      if (sample.seq <= state.lastSeq) continue;  // a poll and the stream can overlap
      state.samples.push(sample);
      state.lastSeq = Math.max(state.lastSeq, sample.seq);
    }
    const cutoff = s.now_ms - CHART_WINDOW_MS - 10000;
    while (state.samples.length && state.samples[0].t_ms < cutoff) state.samples.shift();
    for (const mail of s.mails) {
      state.lastMail = Math.max(state.lastMail, mail.id);
      if (!mail.request_id) continue;
      state.mails.set(mail.request_id, mail);
      if (state.mails.size > 4000) state.mails.delete(state.mails.keys().next().value);
      const row = state.rows.get(mail.request_id);
      if (row && !row.mail) { row.mail = mail; renderRow(row); }
    }
    const latest = state.samples[state.samples.length - 1] || {};
    if (latest.error) say('live panel: ' + latest.error);
    $('stat-queue').textContent = latest.queue ?? '–';
    $('stat-busy').textContent = (latest.busy ?? '–') + ' / ' + (latest.concurrency ?? '–');
    $('stat-retry').textContent = latest.retry ?? '–';
    $('stat-dead').textContent = latest.dead ?? '–';
    $('stat-rate').textContent = latest.processed_per_s !== undefined ? latest.processed_per_s.toFixed(1) : '–';
    renderPs(s.workers, latest.processes || []);
    renderLoad(s.load);
    const p = s.provider;
    $('provider-status').textContent = p.mode === 'normal' ? 'normal'
      : p.mode + ' for ' + Math.max(0, (p.until_ms - s.now_ms) / 1000).toFixed(0) + ' s more';
    drawChart(s.now_ms);
    updateMeasured();
  }

  function duration(s) {
    s = Math.floor(s);
    return s >= 3600 ? Math.floor(s / 3600) + 'h' + Math.floor(s % 3600 / 60) + 'm'
      : s >= 60 ? Math.floor(s / 60) + 'm' + (s % 60) + 's' : s + 's';
  }

  function renderPs(workers, processes) {
    const ul = $('ps');
    ul.textContent = '';
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    for (const w of workers) {
      const beat = byPid.get(w.pid);
      byPid.delete(w.pid);
      const li = document.createElement('li');
      li.className = 'worker';
      li.textContent = w.name + ': ' + w.state + ' ' + duration(w.up_s) + '  pid ' + w.pid +
        (beat ? '  busy ' + beat.busy + '/' + beat.concurrency : '  (no heartbeat yet)');
      ul.appendChild(li);
    }
    for (const p of byPid.values()) {
      const li = document.createElement('li');
      li.textContent = (p.tag || 'worker') + ' (not the board\'s): pid ' + p.pid + '  busy ' + p.busy + '/' + p.concurrency;
      ul.appendChild(li);
    }
  }

  function renderLoad(load) {
    if (!load || !load.started_at_ms) return;
    const status = $('load-status');
    if (load.running) {
      status.textContent = 'sending ' + load.rate_rps + '/s to ' + load.variant + '…';
    } else if (load.result && load.result.summary) {
      const l = load.result.summary.latency_ms || {};
      status.textContent = 'done: ' + load.result.summary.requests + ' requests, p50 ' +
        fmtMs(l.p50) + ', p99 ' + fmtMs(l.p99);
    } else if (load.exit_code !== undefined) {
      status.textContent = 'load run failed (exit ' + load.exit_code + ')';
    }
    if (!load.running && load.result && !state.loads.some((x) => x.started_at_ms === load.started_at_ms)) {
      state.loads.push(load);
      if (state.loads.length > 50) state.loads.shift();
    }
    state.lastLoadStart = load.started_at_ms;
  }

  // ---- the chart: queue, busy and retries (left axis, jobs), p50/p99 per variant (right, ms) ----
  const series = [
    { key: 'queue', label: 'queued', color: '#e67e22' },
    { key: 'busy', label: 'busy', color: '#27ae60' },
    { key: 'retry', label: 'retries', color: '#8e44ad' },
  ];
  function latencyPoints(now, span) {
    const points = { inline: [], background: [] };
    for (const load of state.loads) {
      for (const sec of (load.result.timeseries || [])) {
        const t = load.started_at_ms + sec.t_s * 1000;
        if (now - t < span && points[load.variant]) points[load.variant].push({ t, p50: sec.p50_ms, p99: sec.p99_ms });
      }
    }
    for (const id of state.order) {
      const row = state.rows.get(id);
      if (row && row.browserMs !== null && now - row.sentAt < span) {
        points[row.variant].push({ t: row.sentAt, p50: row.browserMs, p99: row.browserMs });
      }
    }
    return points;
  }

  function drawChart(now) {
    const canvas = $('chart');
    const width = canvas.clientWidth || 600, height = canvas.clientHeight || 170;
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext('2d');
    const style = getComputedStyle(document.body);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui';
    // The last 3 minutes, or less (at least 1) while the board has been up for less.
    const first = state.samples.length ? state.samples[0].t_ms : now;
    const span = Math.min(CHART_WINDOW_MS, Math.max(60000, now - first));
    const x = (t) => 30 + (width - 70) * (1 - (now - t) / span);
    const recent = state.samples.filter((s) => now - s.t_ms <= span);
    const maxJobs = Math.max(5, ...recent.map((s) => Math.max(s.queue || 0, s.retry || 0, s.busy || 0)));
    const lat = latencyPoints(now, span);
    const maxMs = Math.max(100, ...[...lat.inline, ...lat.background].map((p) => p.p99 || 0));
    const yJobs = (v) => height - 14 - (height - 24) * v / maxJobs;
    const yMs = (v) => height - 14 - (height - 24) * v / maxMs;
    ctx.strokeStyle = style.getPropertyValue('--line');
    ctx.fillStyle = style.getPropertyValue('--muted');
    ctx.beginPath(); ctx.moveTo(30, yJobs(0)); ctx.lineTo(width - 40, yJobs(0)); ctx.stroke();
    ctx.fillText(String(maxJobs), 2, yJobs(maxJobs) + 8);
    ctx.fillText('0', 2, yJobs(0));
    ctx.fillText(fmtMs(maxMs), width - 38, yMs(maxMs) + 8);
    ctx.fillText('-' + Math.round(span / 1000) + ' s', 30, height - 2);
    ctx.fillText('now', width - 60, height - 2);
    for (const s of series) {
      ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.beginPath();
      recent.forEach((sample, i) => { const px = x(sample.t_ms), py = yJobs(sample[s.key] || 0); i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
      ctx.stroke();
    }
    for (const variant of ['inline', 'background']) {
      const color = style.getPropertyValue('--' + variant);
      for (const [key, dash] of [['p50', []], ['p99', [4, 3]]]) {
        const pts = lat[variant].slice().sort((a, b) => a.t - b.t);
        ctx.strokeStyle = color; ctx.fillStyle = color; ctx.setLineDash(dash); ctx.lineWidth = 1.5;
        ctx.beginPath();
        pts.forEach((p, i) => { const px = x(p.t), py = yMs(p[key]); i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
        ctx.stroke();
        for (const p of pts) ctx.fillRect(x(p.t) - 1.5, yMs(p[key]) - 1.5, 3, 3);
      }
    }
    ctx.setLineDash([]);
  }

  function renderLegend() {
    const legend = $('legend');
    for (const s of series) {
      const span = document.createElement('span');
      span.textContent = '— ' + s.label;
      span.style.color = s.color;
      legend.appendChild(span);
    }
    for (const text of ['inline p50 / p99 (dashed), ms', 'background p50 / p99, ms']) {
      const span = document.createElement('span');
      span.textContent = '— ' + text;
      span.style.color = getComputedStyle(document.body).getPropertyValue(text.startsWith('inline') ? '--inline' : '--background');
      legend.appendChild(span);
    }
  }

  // ---- predict, then reveal ----
  const questions = [
    { id: 'bg-response', text: 'Background: how long will the response take (ms)?',
      measured: () => lastRow('background', (r) => r.browserMs) },
    { id: 'bg-email', text: 'Background: how long until the email arrives (ms)?',
      measured: () => lastRow('background', (r) => r.mail ? r.mail.received_at_us / 1000 - r.sentAt : null) },
    { id: 'load-queue', text: '16 req/s for 5 s to background, 1 worker: how many jobs will wait in the queue at the peak?',
      measured: () => peakQueueOfLastLoad(), unit: 'jobs' },
  ];
  function lastRow(variant, pick) {
    for (let i = state.order.length - 1; i >= 0; i--) {
      const row = state.rows.get(state.order[i]);
      if (row && row.variant === variant) { const v = pick(row); if (v !== null && v !== undefined) return v; }
    }
    return null;
  }
  function peakQueueOfLastLoad() {
    if (!state.lastLoadStart) return null;
    let peak = null;
    for (const s of state.samples) if (s.t_ms >= state.lastLoadStart) peak = Math.max(peak || 0, s.queue || 0);
    return peak;
  }
  function setupPredictions() {
    const list = $('predict-list');
    for (const q of questions) {
      const label = document.createElement('label');
      label.textContent = q.text;
      label.htmlFor = 'guess-' + q.id;
      const input = document.createElement('input');
      input.type = 'number'; input.id = 'guess-' + q.id; input.min = '0';
      const button = document.createElement('button');
      button.type = 'button'; button.textContent = 'reveal'; button.id = 'reveal-' + q.id;
      const out = document.createElement('div');
      out.className = 'reveal'; out.id = 'answer-' + q.id; out.style.gridColumn = '1 / 4';
      button.addEventListener('click', () => { q.revealed = true; updateMeasured(); });
      q.out = out; q.input = input;
      list.append(label, input, button, out);
    }
  }
  function updateMeasured() {
    for (const q of questions) {
      if (!q.revealed) continue;
      const value = q.measured();
      const guess = q.input.value === '' ? 'no guess' : q.input.value + (q.unit ? ' ' + q.unit : ' ms');
      const measured = value === null ? 'not measured yet: run the step'
        : (q.unit ? value + ' ' + q.unit : fmtMs(value));
      q.out.textContent = 'you guessed ' + guess + ' · measured ' + measured;
    }
  }

  // ---- knobs ----
  function knob(id, action) {
    $(id).addEventListener('click', async () => {
      say('');
      try { await action(); } catch (error) { say(error.message); }
    });
  }
  knob('load-go', () => control('/api/load', {
    variant: $('load-variant').value, rate_rps: parseFloat($('load-rate').value),
    duration_s: parseFloat($('load-duration').value),
    // The load uses what the chosen variant's form says: its sequence length and profile.
    sequence_length: parseInt($($('load-variant').value + '-form').sequence_length.value, 10),
    profile: $($('load-variant').value + '-form').profile.value }));
  knob('scale-go', () => control('/api/scale', { workers: parseInt($('scale-n').value, 10) }));
  knob('provider-go', () => control('/api/provider', {
    mode: $('provider-mode').value, for_s: parseFloat($('provider-for').value) }));
  knob('reset', async () => {
    await control('/api/reset', {});
    for (const id of ['inline-rows', 'background-rows']) $(id).textContent = '';
    state.rows.clear(); state.order = []; state.loads = []; state.lastLoadStart = 0;
    $('scale-n').value = 1; $('provider-mode').value = 'normal'; $('load-status').textContent = '';
    $('waterfall-body').textContent = 'click a row';
  });

  function setupPresentation() {
    const apply = (on) => { document.body.classList.toggle('present', on); localStorage.setItem('board-present', on ? '1' : '0'); };
    apply(localStorage.getItem('board-present') === '1');
    $('present').addEventListener('click', () => apply(!document.body.classList.contains('present')));
  }

  $('inbox-link').href = config.inbox_url;
  if (config.sidekiq_web_url) $('sidekiq-link').href = config.sidekiq_web_url;
  else { $('sidekiq-link').removeAttribute('href'); $('sidekiq-link').textContent = 'sidekiq web: not running'; }
  $('load-rate').max = config.max_rate_rps;
  $('load-duration').max = config.max_duration_s;
  $('scale-n').max = config.max_workers;
  for (const column of document.querySelectorAll('section.column')) {
    const variant = column.dataset.variant;
    column.appendChild($('column-template').content.cloneNode(true));
    const form = column.querySelector('form');
    form.id = variant + '-form';
    form.dataset.variant = variant;
    column.querySelector('tbody').id = variant + '-rows';
    setupForm(form);
  }
  setupPresentation();
  setupPredictions();
  renderLegend();
  stream();
  poll();
})();
