// The SQL page, the compare page and the trial page's export buttons. Uses dashboard.js's helpers (el, getJson,
// showError, live), which load first; every value from the database is set as text, never as HTML.
'use strict';

window.dashboardPages = Object.assign(window.dashboardPages || {}, { sql: [sqlPage, 'SQL'] });

// This file's own style sheet (the page allows this origin's style sheets, never inline style).
document.head.append(el('link', { rel: 'stylesheet', href: '/assets/compare-sql-exports.css' }));
document.querySelector('header .home')?.after(' ', el('a', { href: '/sql', class: 'nav', text: 'SQL' }));

// ---------- the SQL page ----------

async function sqlPage(main) {
  // A query's answer is a snapshot, not a live view: the header's live-feed badge has nothing to say here.
  document.getElementById('live').textContent = '';
  const query = el('textarea', { id: 'sql-query', name: 'query', rows: 8, cols: 90, spellcheck: 'false',
    placeholder: 'select trial_id, architecture, best_epoch, best_val_accuracy from trial_summary order by best_val_accuracy desc nulls last' });
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
        el('tbody', {}, answer.rows.map(row => el('tr', {}, row.map(v => el('td', { class: v === null ? 'null' : null, text: v === null ? 'null' : v }))))));
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
    epoch.addEventListener('change', () => { weights.href = `/api/trials/${detail.id}/weights.safetensors?epoch=${epoch.value}`; });
    section = el('section', { id: 'exports' }, el('h2', { text: 'Export' }),
      el('p', { class: 'muted', text: 'The files results export and results export-weights write; the weights load into PyTorch with load_state_dict(tensors, strict=True).' }),
      el('div', { class: 'controls' }, csv, ' ', el('label', {}, 'epoch ', epoch), ' ', weights));
    content.append(section);
  }
  const epoch = section.querySelector('#export-epoch');
  const weights = section.querySelector('#export-weights');
  const stored = detail.snapshotEpochs.map(String);
  if ([...epoch.options].map(o => o.value).join() !== stored.join()) {
    const chosen = epoch.value;
    epoch.replaceChildren(...stored.map(e => el('option', { value: e, text: e === '0' ? '0 (untrained)' : e })));
    // The latest stored epoch unless the user chose another that is still there.
    epoch.value = stored.includes(chosen) ? chosen : stored[stored.length - 1] ?? '';
  }
  weights.hidden = stored.length === 0;
  epoch.disabled = stored.length === 0;
  if (stored.length > 0) weights.href = `/api/trials/${detail.id}/weights.safetensors?epoch=${epoch.value}`;
};

