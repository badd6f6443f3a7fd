// The SQL page, the compare page and the trial page's export buttons. Uses dashboard.js's helpers (el, getJson,
// showError, live), which load first; every value from the database is set as text, never as HTML.
'use strict';

window.dashboardPages = Object.assign(window.dashboardPages || {}, { sql: [sqlPage, 'SQL'], compare: [comparePage, 'Compare'] });

// This file's own style sheet (the page allows this origin's style sheets, never inline style).
document.head.append(el('link', { rel: 'stylesheet', href: '/assets/compare-sql-exports.css' }));
document.querySelector('header .home')?.after(' ', el('a', { href: '/sql', class: 'nav', text: 'SQL' }));

// ---------- the SQL page ----------

async function sqlPage(main) {
  // A query's answer is a snapshot, not a live view: the header's live-feed badge has nothing to say here.
  document.getElementById('live').textContent = '';
  // The box starts with a query that runs as it is: an example shown only as a placeholder looked runnable, and Run
  // then answered "write a query first".
  const query = el('textarea', { id: 'sql-query', name: 'query', rows: 8, cols: 90, spellcheck: 'false',
    placeholder: 'one statement, e.g. select * from trial_summary' });
  query.value = 'select trial_id, architecture, best_epoch, best_val_accuracy from trial_summary order by best_val_accuracy desc nulls last';
  const run = el('button', { id: 'sql-run', type: 'button', text: 'Run (Ctrl+Enter)' });
  const download = el('button', { id: 'sql-csv', type: 'submit', text: 'Download CSV' });
  // The download is a plain form post: the server answers with the file, so the browser saves it.
  const form = el('form', { id: 'sql-form', method: 'post', action: '/api/sql/csv' }, query, el('div', { class: 'controls' }, run, ' ', download));
  const note = el('p', { id: 'sql-note', class: 'muted' });
  const status = el('p', { id: 'sql-status', class: 'muted' });
  const error = el('p', { id: 'sql-error', class: 'error', role: 'alert' });
  const table = el('table', { id: 'sql-result' });
  const relations = el('div', { id: 'sql-relations' });
  main.replaceChildren(el('h1', { text: 'SQL' }), el('div', { class: 'sql-layout' },
    el('section', {}, note, form, error, status, el('div', { class: 'sql-scroll' }, table)),
    el('aside', {}, el('h2', { text: 'Views and tables' }),
      el('p', { class: 'muted', text: 'As docs/schema.md documents them; a click on a name puts a query over it in the box.' }), relations)));

  async function execute() {
    error.textContent = '';
    status.textContent = 'running…';
    try {
      const response = await fetch('/api/sql', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: query.value }) });
      const answer = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
      if (!response.ok) throw new Error(answer.error || `${response.status} ${response.statusText}`);
      table.replaceChildren(
        el('thead', {}, el('tr', {}, answer.columns.map(c => el('th', { text: c })))),
        el('tbody', {}, answer.rows.map(row => el('tr', {}, row.map(sqlCell)))));
      status.textContent = `${answer.rows.length} row(s) in ${answer.milliseconds.toFixed(0)} ms` + (answer.truncated ? ` (${answer.truncated})` : '');
    } catch (e) {
      table.replaceChildren();
      status.textContent = '';
      error.textContent = e.message;
    }
  }
  run.addEventListener('click', execute);
  query.addEventListener('keydown', event => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); execute(); } });

  try {
    const schema = await getJson('/api/sql/schema');
    note.textContent = `One statement at a time, in a read-only transaction (the database refuses any write), cancelled after ${schema.timeoutSeconds} s; ` +
      `at most ${schema.maxRows.toLocaleString('en')} rows.`;
    relations.replaceChildren(...schema.relations.map(r => el('details', { 'data-relation': r.name },
      el('summary', {}, el('a', { href: '#', class: 'relation', text: r.name,
        onclick: event => { event.preventDefault(); query.value = `select * from ${r.name} limit 100`; query.focus(); } }), ` ${r.kind}`),
      el('p', { class: 'muted', text: r.about }),
      el('ul', { class: 'columns' }, r.columns.map(c => el('li', {}, el('code', { text: c.name }), ` ${c.type}`))))));
  } catch (e) {
    showError(relations, e);
  }
}

/**
 * One cell of a query's answer. A JSON value (an object or array: hyperparameters, a confusion matrix) is clamped to
 * one line, its whole text in the tooltip: written out, one such cell made its row dozens of lines tall.
 */
function sqlCell(value) {
  if (value === null) return el('td', { class: 'null', text: 'null' });
  const json = /^\s*[[{]/.test(value);
  return el('td', { class: json ? 'json' : null, title: json ? value : null, text: value });
}

// ---------- the trial page's downloads ----------

/**
 * Called by the trial page whenever its data arrives: adds (once) a section with the CSV of every epoch's metrics and
 * the safetensors of a chosen epoch's weights, and keeps the epoch list in step with the stored snapshots.
 */
window.trialExports = function trialExports(content, detail) {
  let section = content.querySelector('#exports');
  if (!section) {
    const csv = el('a', { id: 'export-csv', class: 'button', href: `/api/trials/${detail.id}/epochs.csv`, download: '', text: 'Epoch metrics (CSV)' });
    const epoch = el('select', { id: 'export-epoch', 'aria-label': 'the epoch whose weights to download' });
    const weights = el('a', { id: 'export-weights', class: 'button', download: '', text: 'Weights (safetensors)' });
    epoch.addEventListener('change', () => { weights.href = weightsAddress(detail.id, epoch.value); });
    section = el('section', { id: 'exports' }, el('h2', { text: 'Export' }),
      el('p', { class: 'muted', text: 'The files results export and results export-weights write; the weights load into PyTorch with load_state_dict(tensors, strict=True).' }),
      el('div', { class: 'controls' }, csv, ' ', el('label', {}, 'epoch ', epoch), ' ', weights));
    content.append(section);
  }
  const epoch = section.querySelector('#export-epoch');
  const weights = section.querySelector('#export-weights');
  const stored = detail.snapshotEpochs.map(String);
  const listed = [...epoch.options].map(o => o.value).filter(v => v !== '');
  if (listed.join() !== stored.join()) {
    const chosen = epoch.value;
    // First, and chosen unless the user chose a stored epoch that is still there, the epoch results export-weights
    // writes without --epoch: the best (the server names it; a new epoch can change it).
    const best = el('option', { value: '', text: 'best' });
    epoch.replaceChildren(...(stored.length ? [best] : []), ...stored.map(e => el('option', { value: e, text: e === '0' ? '0 (untrained)' : e })));
    epoch.value = stored.includes(chosen) ? chosen : '';
    if (stored.length > 0)
      getJson(`/api/trials/${detail.id}/weights/default-epoch`)
        .then(d => { best.textContent = `best (epoch ${d.epoch})`; best.title = d.why; best.dataset.epoch = d.epoch; })
        .catch(error => { best.title = error.message; });
  }
  weights.hidden = stored.length === 0;
  epoch.disabled = stored.length === 0;
  if (stored.length > 0) weights.href = weightsAddress(detail.id, epoch.value);
};

/** The weights download of a stored epoch, or with none chosen ('') the server's default: the best epoch. */
function weightsAddress(trial, epoch) {
  return `/api/trials/${trial}/weights.safetensors${epoch === '' ? '' : `?epoch=${epoch}`}`;
}

// ---------- compare ----------

const COMPARE_MIN = 2, COMPARE_MAX = 4;

/** Called once by the sweep page: a Compare button that opens the ticked trials (2 to 4) side by side. */
window.sweepCompare = function sweepCompare(content, state) {
  const button = el('button', { id: 'compare', type: 'button', disabled: true, text: `Compare (tick ${COMPARE_MIN}–${COMPARE_MAX} trials)` });
  function update() {
    const n = state.selected.size;
    button.disabled = n < COMPARE_MIN || n > COMPARE_MAX;
    button.textContent = button.disabled ? `Compare (tick ${COMPARE_MIN}–${COMPARE_MAX} trials; ${n} ticked)` : `Compare ${n} trials`;
  }
  button.addEventListener('click', () => {
    const ids = [...state.selected].sort((a, b) => a - b);
    location.href = `/compare?trials=${ids.join(',')}`;
  });
  // The ticks live in the table, which the sweep page redraws; their change events bubble up to here.
  content.addEventListener('change', update);
  content.querySelector('.filter')?.append(' ', button);
  update();
};

async function comparePage(main) {
  const ids = new URLSearchParams(location.search).get('trials') || '';
  const title = el('h1', { id: 'compare-title', text: 'Compare' });
  const content = el('div');
  main.replaceChildren(title, content);
  const state = { view: null, layer: null, epochIndex: null };
  const settings = el('table', { id: 'compare-settings' });
  const lossChart = el('div', { id: 'compare-loss', class: 'chart' });
  const accuracyChart = el('div', { id: 'compare-accuracy', class: 'chart' });
  const layerSelect = el('select', { id: 'compare-layer' });
  const slider = el('input', { id: 'compare-epoch', type: 'range', min: 0, max: 0, step: 1, value: 0 });
  const epochLabel = el('span', { id: 'compare-epoch-label' });
  const pictures = el('div', { id: 'compare-kernels', class: 'side-by-side' });
  const kernels = el('section', {}, el('h2', { text: 'Kernels at the same epoch' }),
    el('div', { class: 'controls' }, el('label', {}, 'layer ', layerSelect), ' ', el('label', {}, 'epoch ', slider), ' ', epochLabel),
    el('p', { class: 'muted', text: 'One slider moves every trial: each picture is the one viz kernels draws for that trial, layer and epoch.' }), pictures);
  content.append(
    el('section', {}, el('h2', { text: 'Settings' }), el('p', { class: 'muted', text: 'Highlighted: the settings that differ.' }), settings),
    el('section', {}, el('h2', { text: 'Learning curves' }), el('p', { class: 'muted', text: 'Solid: train; dashed: validation; dotted: test.' }), lossChart, accuracyChart),
    kernels);

  function showKernels() {
    const view = state.view;
    const epoch = view.sharedEpochs[state.epochIndex];
    epochLabel.textContent = `${epoch} (of ${view.sharedEpochs.join(', ')})`;
    for (const img of pictures.querySelectorAll('img')) {
      const url = `/api/trials/${img.dataset.trial}/kernels.png?layer=${encodeURIComponent(state.layer)}&epoch=${epoch}`;
      if (img.getAttribute('src') !== url) img.src = url;
    }
  }
  layerSelect.addEventListener('change', () => { state.layer = layerSelect.value; showKernels(); });
  slider.addEventListener('input', () => { state.epochIndex = Number(slider.value); showKernels(); });

  const charts = new Map();
  function drawCurves(view) {
    const colour = new Map(view.trials.map((t, i) => [t.id, PALETTE[i % PALETTE.length]]));
    drawTrialCurves(view.curves, { lossChart, accuracyChart }, charts, c => `trial ${c.trial} · ${c.name}`, trial => colour.get(trial));
  }

  await live(async () => {
    try {
      const view = await getJson(`/api/compare?trials=${encodeURIComponent(ids)}&width=${Math.max(100, Math.round(lossChart.clientWidth || 900))}`);
      const first = state.view === null;
      state.view = view;
      title.textContent = `Compare trials ${view.trials.map(t => t.id).join(', ')}`;
      settings.replaceChildren(
        el('thead', {}, el('tr', {}, el('th', { text: 'setting' }), view.trials.map(t => el('th', {}, el('a', { href: `/trials/${t.id}`, text: `trial ${t.id}` }))))),
        el('tbody', {}, view.settings.map(s => el('tr', { class: s.differs ? 'differs' : null, 'data-setting': s.name },
          el('th', { text: s.name }), s.values.map(v => el('td', { text: v }))))));
      drawCurves(view);
      if (view.sharedLayers.length === 0 || view.sharedEpochs.length === 0) {
        kernels.replaceChildren(el('h2', { text: 'Kernels at the same epoch' }), el('p', { id: 'compare-kernels-note', class: 'muted',
          text: view.sharedLayers.length === 0 ? 'These trials share no conv layer, so there are no kernels to set side by side.'
            : 'These trials kept weights at no common epoch.' }));
        return;
      }
      if (first) {
        layerSelect.replaceChildren(...view.sharedLayers.map(l => el('option', { value: l, text: `layer ${l}` })));
        state.layer = view.sharedLayers[0];
        pictures.replaceChildren(...view.trials.map(t => el('figure', {},
          el('img', { class: 'compare-kernel', 'data-trial': t.id, alt: `kernels of trial ${t.id}` }),
          el('figcaption', { text: `trial ${t.id} · ${t.name}` }))));
      }
      const atLast = state.epochIndex === null || state.epochIndex === Number(slider.max);
      slider.max = String(view.sharedEpochs.length - 1);
      state.epochIndex = atLast ? view.sharedEpochs.length - 1 : Math.min(state.epochIndex, view.sharedEpochs.length - 1);
      slider.value = String(state.epochIndex);
      showKernels();
    } catch (error) {
      showError(content, error);
    }
  });
}
