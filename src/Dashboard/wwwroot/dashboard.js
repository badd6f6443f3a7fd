// The dashboard's pages. Every label a user wrote (sweep names, architectures, errors) is set with textContent, never
// as HTML, so `<script>` in a sweep name is shown, not run. Data comes from the JSON API beside the pages; the live
// feed (/api/changes, server-sent events) says when to fetch it again.
'use strict';

// ---------- small helpers ----------

/** An element with attributes and children; strings become text nodes. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function showError(container, error) {
  container.replaceChildren(el('p', { class: 'error', role: 'alert', text: error.message || String(error) }));
}

/** An accuracy as every table writes it: × 100, rounded half away from zero to two decimals. */
function percent2(fraction) {
  const scaled = Math.round(Math.abs(fraction) * 10000) / 100 * Math.sign(fraction);
  return `${scaled.toFixed(2)}%`;
}

/** Seconds as "4 min 12 s", "1 h 5 min" or "37 s". */
function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function ago(iso) {
  if (!iso) return '–';
  return `${duration((Date.now() - Date.parse(iso)) / 1000)} ago`;
}

/** Calls refresh() now and whenever the live feed reports a change; shows the feed's state in the header. */
function live(refresh) {
  const badge = document.getElementById('live');
  let running = false, again = false;
  async function run() {
    if (running) { again = true; return; }
    running = true;
    try { await refresh(); } finally { running = false; }
    if (again) { again = false; run(); }
  }
  const feed = new EventSource('/api/changes');
  feed.onopen = () => { badge.textContent = 'live'; badge.className = 'live on'; };
  feed.onerror = () => { badge.textContent = 'reconnecting…'; badge.className = 'live off'; };
  feed.onmessage = () => run();
  return run();
}

function pageId() {
  return Number(location.pathname.split('/').filter(Boolean).pop());
}

// ---------- the sweeps page ----------

const STATUSES = ['queued', 'running', 'completed', 'stopped_early', 'diverged', 'failed', 'cancelled'];

async function sweepsPage(main) {
  const heading = el('h1', { text: 'Sweeps' });
  const body = el('div');
  main.replaceChildren(heading, body);
  await live(async () => {
    try {
      const sweeps = await getJson('/api/sweeps');
      if (sweeps.length === 0) {
        body.replaceChildren(el('p', { class: 'muted', text: 'No sweeps recorded yet. Run one with `experiments sweep run FILE` or `experiments demo`.' }));
        return;
      }
      const rows = sweeps.map(s => el('tr', { 'data-sweep': s.id },
        el('td', {}, el('a', { href: `/sweeps/${s.id}`, text: s.id })),
        el('td', {}, el('a', { href: `/sweeps/${s.id}`, class: 'name', text: s.name })),
        el('td', { class: `status ${s.status}`, text: s.status }),
        el('td', { class: 'num', text: s.trials }),
        el('td', { class: 'counts', text: STATUSES.filter(k => s.trialsByStatus[k]).map(k => `${s.trialsByStatus[k]} ${k.replace('_', ' ')}`).join(' · ') || '–' }),
        el('td', {}, el('progress', { max: 1, value: s.progress }), el('span', { class: 'percent', text: ` ${(s.progress * 100).toFixed(0)}%` })),
        el('td', { class: 'eta', text: s.status === 'running' ? duration(s.etaSeconds) : '–' }),
        el('td', { text: s.metric }),
        el('td', { text: s.dataset || '–' })));
      body.replaceChildren(el('table', { id: 'sweeps' },
        el('thead', {}, el('tr', {}, ['sweep', 'name', 'status', 'trials', 'by status', 'progress', 'ETA', 'metric', 'dataset'].map(h => el('th', { text: h })))),
        el('tbody', {}, rows)));
    } catch (error) {
      showError(body, error);
    }
  });
}

// ---------- the filter expression of the trial table ----------

/**
 * Parses `lr < 1e-3 and arch = lenet-matconvnet` into a predicate over a row's field values. Clauses are
 * `column op value` (op: = != < <= > >=; a value is a number, a word or a "quoted string"), joined by `and` (binding
 * first) and `or`. `aliases` maps another name to a column (the sweep's metric, as the table's header writes it, to
 * `best`); the columns in `fractions` hold a share from 0 to 1 that the table shows as a percentage, so a value there
 * may be written `90%`, and a bare number above 1 is refused rather than silently matching nothing. Throws an Error
 * whose message says what is wrong and where.
 */
function parseFilter(text, columns, { aliases = {}, fractions = new Set() } = {}) {
  const tokens = [];
  const pattern = /\s*(?:(<=|>=|!=|=|<|>)|"([^"]*)"|'([^']*)'|([^\s<>=!"']+))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new Error(`cannot read the filter from "${text.slice(at).trim()}": a clause is column, operator, value`);
    if (match[1]) tokens.push({ kind: 'op', text: match[1] });
    else if (match[2] !== undefined || match[3] !== undefined) tokens.push({ kind: 'value', text: match[2] ?? match[3], quoted: true });
    else tokens.push({ kind: 'word', text: match[4] });
    at = pattern.lastIndex;
  }
  let position = 0;
  const peek = () => tokens[position];
  function clause() {
    const column = tokens[position++];
    if (!column || column.kind === 'op') throw new Error(column ? `expected a column name before "${column.text}"` : 'the filter ends where a column name should be');
    const name = aliases[column.text] ?? column.text;
    if (!columns.includes(name)) {
      const named = columns.map(c => Object.keys(aliases).find(a => aliases[a] === c) ?? c);
      throw new Error(`unknown column "${column.text}": filter by one of ${named.join(', ')}`);
    }
    const op = tokens[position++];
    if (!op || op.kind !== 'op') throw new Error(`expected an operator (= != < <= > >=) after "${column.text}"${op ? `, got "${op.text}"` : ''}`);
    const value = tokens[position++];
    if (!value || value.kind === 'op') throw new Error(`expected a value after "${column.text} ${op.text}"`);
    // An unquoted "and" or "or" where the value should be is a clause left half-typed, not a value.
    if (value.kind === 'word' && /^(and|or)$/i.test(value.text)) throw new Error(`expected a value after "${column.text} ${op.text}", got "${value.text}"`);
    let expected = value.text;
    if (!value.quoted && /%$/.test(expected) && !isNaN(asNumber(expected.slice(0, -1)))) expected = String(asNumber(expected.slice(0, -1)) / 100);
    else if (!value.quoted && fractions.has(name) && asNumber(expected) > 1)
      throw new Error(`${column.text} is a share from 0 to 1, shown as a percentage: write ${expected}% or ${asNumber(expected) / 100}`);
    return row => compare(row[name], op.text, expected);
  }
  function conjunction() {
    const parts = [clause()];
    while (peek() && peek().kind === 'word' && peek().text.toLowerCase() === 'and') { position++; parts.push(clause()); }
    return row => parts.every(p => p(row));
  }
  if (tokens.length === 0) return () => true;
  const alternatives = [conjunction()];
  while (peek() && peek().kind === 'word' && peek().text.toLowerCase() === 'or') { position++; alternatives.push(conjunction()); }
  if (position < tokens.length) throw new Error(`unexpected "${tokens[position].text}": join clauses with "and" or "or"`);
  return row => alternatives.some(a => a(row));
}

function asNumber(value) {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return NaN;
  return Number(value);
}

function compare(actual, op, expected) {
  if (actual === null || actual === undefined) return op === '!=';
  const [a, b] = [asNumber(actual), asNumber(expected)];
  const numeric = !isNaN(a) && !isNaN(b);
  const [x, y] = numeric ? [a, b] : [String(actual), expected];
  switch (op) {
    case '=': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}

// ---------- the sweep page ----------

// Epochs are whole numbers: the x axis ticks at whole steps only.
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A trial's values by the column names the table and the filter use. */
function fields(trial) {
  return Object.assign({}, trial.parameters, {
    id: trial.id, name: trial.name, status: trial.status, best: trial.best, epoch: trial.bestEpoch, attempts: trial.attempts,
    worker: trial.worker, heartbeat: trial.heartbeatAt, error: trial.error, epochs: trial.epochsTrained,
  });
}

async function sweepPage(main) {
  const id = pageId();
  const state = { sortKey: 'id', descending: false, filter: () => true, selected: new Set(), logAxis: false, detail: null, curves: null,
    smoothing: 0, groupRepeats: false, visible: null, brushed: null };
  const title = el('h1', {}, 'Sweep ', el('span', { id: 'sweep-name' }));
  const summary = el('p', { id: 'summary', class: 'muted' });
  const filterInput = el('input', { id: 'filter', type: 'text', spellcheck: 'false',
    placeholder: 'filter, e.g. lr < 1e-3 and arch = lenet-matconvnet or val_accuracy > 90%' });
  const filterError = el('span', { id: 'filter-error', class: 'error', role: 'alert' });
  const table = el('table', { id: 'trials' });
  const logToggle = el('input', { id: 'log-axis', type: 'checkbox' });
  const curvesNote = el('p', { id: 'curves-note', class: 'muted' });
  const lossChart = el('div', { id: 'loss-chart', class: 'chart' });
  const accuracyChart = el('div', { id: 'accuracy-chart', class: 'chart' });
  const analysis = sweepAnalysisSection(state, id, () => drawTable());
  const content = el('div', {},
    summary,
    analysis.brushing,
    el('section', {}, el('h2', { text: 'Trials' }), el('div', { class: 'filter' }, filterInput, ' ', filterError), table),
    analysis.element,
    el('section', {}, el('h2', { text: 'Learning curves' }),
      el('label', {}, logToggle, ' log loss axis'), curveControls(state, () => drawCurves()), curvesNote,
      el('p', { class: 'muted', text: 'Solid: train; dashed: validation; dotted: test. The curves follow the table\'s filter; tick trials to show only those.' }),
      lossChart, accuracyChart));
  main.replaceChildren(title, content);
  if (window.sweepCompare) window.sweepCompare(content, state);

  filterInput.addEventListener('input', () => {
    try {
      const metric = state.detail ? state.detail.sweep.metric : null;
      state.filter = parseFilter(filterInput.value, columns(), {
        aliases: metric && metric !== 'best' ? { [metric]: 'best' } : {},
        fractions: new Set(metric && metric.endsWith('accuracy') ? ['best'] : []),
      });
      filterError.textContent = '';
      filterInput.classList.remove('invalid');
    } catch (error) {
      state.filter = () => true;
      filterError.textContent = error.message;
      filterInput.classList.add('invalid');
    }
    drawTable();
  });
  logToggle.addEventListener('change', () => { state.logAxis = logToggle.checked; drawCurves(); });

  function columns() {
    const parameters = state.detail ? state.detail.parameters : [];
    return ['id', 'name', 'status', ...parameters, 'best', 'epoch', 'epochs', 'attempts', 'worker', 'heartbeat', 'error'];
  }

  function drawTable() {
    const detail = state.detail;
    const headers = columns();
    const rows = detail.trials.map(t => ({ trial: t, values: fields(t) })).filter(r => state.filter(r.values) && (!state.brushed || state.brushed.has(r.trial.id)));
    const key = state.sortKey;
    rows.sort((p, q) => {
      const [a, b] = [p.values[key], q.values[key]];
      if (a === b) return p.trial.id - q.trial.id;
      if (a === null || a === undefined) return 1;
      if (b === null || b === undefined) return -1;
      let order = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
      // The heartbeat column shows an age ("2 min 14 s ago"): ascending runs from the youngest, so the latest time first.
      if (key === 'heartbeat') order = -order;
      return state.descending ? -order : order;
    });
    const head = el('tr', {}, el('th', { text: '✓', title: 'show these trials\' curves' }), headers.map(h => el('th', {
      class: 'sortable', 'data-column': h, 'aria-sort': h === key ? (state.descending ? 'descending' : 'ascending') : null,
      onclick: () => { state.descending = state.sortKey === h ? !state.descending : false; state.sortKey = h; state.tablePage = 0; drawTable(); },
    }, h === 'best' ? detail.sweep.metric : h, h === key ? (state.descending ? ' ▼' : ' ▲') : '')));
    // One page of rows is drawn (large-sweep.js); every row still counts for the curves and the charts.
    const page = tablePage(state, rows, headers.length + 1, drawTable);
    const body = page.rows.map(({ trial, values }) => el('tr', { 'data-trial': trial.id },
      el('td', {}, el('input', { type: 'checkbox', checked: state.selected.has(trial.id), 'aria-label': `show trial ${trial.id}'s curves`,
        onchange: event => { if (event.target.checked) state.selected.add(trial.id); else state.selected.delete(trial.id); drawCurves(); } })),
      headers.map(h => {
        switch (h) {
          case 'id': return el('td', { class: 'num' }, el('a', { href: `/trials/${trial.id}`, text: trial.id }));
          case 'name': return el('td', { text: trial.name });
          case 'status': return el('td', { class: `status ${trial.status}`, text: trial.status });
          case 'best': return el('td', { class: 'num', 'data-column': 'best', text: trial.bestText });
          case 'epoch': return el('td', { class: 'num', 'data-column': 'epoch', text: trial.bestEpoch ?? '–' });
          case 'epochs': return el('td', { class: 'num', 'data-column': 'epochs', text: `${trial.epochsTrained}/${trial.plannedEpochs}` });
          case 'heartbeat': return el('td', { class: 'heartbeat', title: trial.heartbeatAt || '', text: ago(trial.heartbeatAt) });
          case 'error': return el('td', { class: 'error-text', text: trial.error || '' });
          case 'attempts': return el('td', { class: 'num', text: trial.attempts });
          case 'worker': return el('td', { text: trial.worker || '–' });
          default: return el('td', { class: typeof values[h] === 'number' ? 'num' : null, text: trial.parameterTexts[h] ?? '–' });
        }
      })));
    table.replaceChildren(...[el('thead', {}, head), el('tbody', {}, body), page.footer].filter(Boolean));
    state.visible = new Set(rows.map(r => r.trial.id));
    drawCurves();
  }

  // Each chart with what it was built for: a live update with the same lines only swaps the data (no flicker).
  const charts = new Map();
  function drawCurves() {
    // Only the curves the charts show are fetched (large-sweep.js); then drawn, and the note says when they are capped.
    const width = Math.max(100, Math.round(lossChart.clientWidth || 900));
    showSweepCurves(state, id, width, () => { drawSweepCurves(state, { lossChart, accuracyChart, curvesNote }, charts); curveNote(state, curvesNote, drawCurves); })
      .catch(error => showError(curvesNote, error));
  }

  await live(async () => {
    try {
      const detail = await getJson(`/api/sweeps/${id}`);
      state.detail = detail;
      document.getElementById('sweep-name').textContent = detail.sweep.name;
      document.title = `${detail.sweep.name} · Experiments`;
      const s = detail.sweep;
      summary.textContent = `Sweep ${s.id} · ${s.status} · ${s.trials} trials · ${(s.progress * 100).toFixed(0)}% done` +
        (s.status === 'running' ? ` · ETA ${duration(s.etaSeconds)}` : '') + ` · ranked by ${s.metric}`;
      drawTable();
      await analysis.refresh(detail);
    } catch (error) {
      showError(content, error);
    }
  });
}

// ---------- the trial page ----------

async function trialPage(main) {
  const id = pageId();
  const title = el('h1', { id: 'trial-title', text: `Trial ${id}` });
  const settings = el('table', { id: 'settings', class: 'settings' });
  const epochs = el('table', { id: 'epochs' });
  const curves = { lossChart: el('div', { id: 'trial-loss', class: 'chart' }), accuracyChart: el('div', { id: 'trial-accuracy', class: 'chart' }) };
  const charts = new Map();
  // The figures and the inside-the-network views (trial-figures.js).
  const figures = trialFigures(id);
  const content = el('div', {}, el('section', {}, el('h2', { text: 'Settings' }), settings),
    el('section', {}, el('h2', { text: 'Epochs' }), epochs),
    el('section', { id: 'trial-curves' }, el('h2', { text: 'Learning curves' }),
      el('p', { class: 'muted', text: 'Solid: train; dashed: validation; dotted: test.' }), curves.lossChart, curves.accuracyChart),
    figures.sections);
  main.replaceChildren(title, content);

  await live(async () => {
    try {
      const detail = await getJson(`/api/trials/${id}`);
      // replaceChildren writes a null child as the text "null", so a trial outside a sweep passes no third child.
      const ofSweep = detail.sweepId ? [el('span', { class: 'muted' }, ' of ', el('a', { href: `/sweeps/${detail.sweepId}`, text: `sweep ${detail.sweepId}` }))] : [];
      title.replaceChildren(`Trial ${detail.id} `, el('span', { class: `status ${detail.status}`, text: detail.status }), ...ofSweep);
      settings.replaceChildren(el('tbody', {}, detail.settings.map(s => el('tr', {}, el('th', { text: s.name }), el('td', { text: s.value })))));
      if (window.trialExports) window.trialExports(content, detail);
      epochs.replaceChildren(
        el('thead', {}, el('tr', {}, ['epoch', 'lr', 'train loss', 'train acc', 'val loss', 'val acc', 'test loss', 'test acc', 'seconds', 'weights'].map(h => el('th', { text: h })))),
        el('tbody', {}, detail.epochs.map(e => el('tr', { 'data-epoch': e.epoch, class: e.epoch === detail.bestEpoch ? 'best' : null,
          title: e.epoch === detail.bestEpoch ? `${BEST_MARK} the trial's best epoch by the sweep's metric` : null }, [epochText(e.epoch, detail.bestEpoch), e.learningRate, e.trainLoss, e.trainAccuracy, e.valLoss, e.valAccuracy,
          e.testLoss, e.testAccuracy, e.seconds, e.keptWeights ? '✓' : '—'].map(v => el('td', { class: 'num', text: v }))))));
      if (typeof uPlot !== 'undefined') drawTrialCurves(detail.curves, curves, charts, () => `trial ${detail.id}`, () => PALETTE[0]);
      figures.update(detail);
    } catch (error) {
      showError(content, error);
    }
  });
}

// ---------- start ----------

document.addEventListener('DOMContentLoaded', () => {
  const main = document.getElementById('main');
  // One page shell serves every address; the path says which page it is.
  const [area] = location.pathname.split('/').filter(Boolean);
  // Pages from the other scripts (sql.js, compare.js, …) register themselves in window.dashboardPages.
  const pages = { '': [sweepsPage, 'Sweeps'], sweeps: [sweepPage, 'Sweep'], trials: [trialPage, 'Trial'], ...window.dashboardPages };
  const [page, title] = pages[area ?? ''] || [null, ''];
  document.title = `${title} · Experiments`;
  if (page) page(main).catch(error => showError(main, error));
});
