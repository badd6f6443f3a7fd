// What keeps the sweep page quick at thousands of trials: the trial table draws one page of rows at a time (all of them
// still sort, filter and feed the charts), and the learning curves are fetched only for the trials the charts draw.
//
// Curves: a sweep of thousands of trials would otherwise send every trial's six curves with the first load (4.4 MiB of
// JSON at 1,000 trials) and draw two lines per trial; like W&B, the page draws a limited number of runs by default: the best CURVE_LIMIT by the sweep's metric among
// the trials the table lists. Ticked trials are drawn whatever their number, and "draw all" loads the rest in chunks,
// drawing as they arrive. Uses el() and getJson() of dashboard.js, loaded first.
'use strict';

/** How many trials' curves are drawn when none is ticked. */
const CURVE_LIMIT = 20;
/** Trials per request when many curves are fetched: keeps each address short and draws progressively. */
const CURVE_CHUNK = 250;

/**
 * The trials to draw: the ticked ones, or else those the table lists (filter and brushes), the best CURVE_LIMIT of
 * them by the sweep's metric (state.detail.maximize says which way; the earliest id first among equals; trials without
 * a value last) unless state.allCurves. Returns { ids, listed, capped }.
 */
function curveTrials(state) {
  const trained = state.detail.trials.filter(t => t.epochsTrained > 0);
  if (state.selected.size > 0) return { ids: trained.filter(t => state.selected.has(t.id)).map(t => t.id), listed: state.selected.size, capped: false };
  const listed = trained.filter(t => !state.visible || state.visible.has(t.id));
  if (state.allCurves || listed.length <= CURVE_LIMIT) return { ids: listed.map(t => t.id), listed: listed.length, capped: false };
  const valued = t => t.best !== null && t.best !== undefined && isFinite(t.best);
  const ranked = listed.slice().sort((a, b) => {
    if (valued(a) !== valued(b)) return valued(a) ? -1 : 1;
    if (valued(a) && a.best !== b.best) return state.detail.maximize ? b.best - a.best : a.best - b.best;
    return a.id - b.id;
  });
  return { ids: ranked.slice(0, CURVE_LIMIT).map(t => t.id), listed: listed.length, capped: true };
}

/**
 * Draws the curves of curveTrials(state), fetching first the ones not yet held (state.curveCache: trial id →
 * { epochs, curves }, dropped for a trial whose trained epochs changed). A later call supersedes an earlier one still
 * fetching. Once the table and the curves are first drawn, main gets data-rendered: the milliseconds from navigation
 * (performance.now()), which `bench dashboard` reads as the first render.
 */
async function showSweepCurves(state, sweepId, width, draw) {
  const call = (state.curveCall = (state.curveCall || 0) + 1);
  state.curveCache = state.curveCache || new Map();
  const epochs = new Map(state.detail.trials.map(t => [t.id, t.epochsTrained]));
  for (const [id, held] of state.curveCache) if (held.epochs !== epochs.get(id)) state.curveCache.delete(id);
  const chosen = curveTrials(state);
  state.curveChoice = chosen;
  const publish = () => {
    state.curves = chosen.ids.filter(id => state.curveCache.has(id)).flatMap(id => state.curveCache.get(id).curves);
    draw();
  };
  const missing = chosen.ids.filter(id => !state.curveCache.has(id));
  for (let i = 0; i < missing.length; i += CURVE_CHUNK) {
    const chunk = missing.slice(i, i + CURVE_CHUNK);
    const curves = await getJson(`/api/sweeps/${sweepId}/curves?width=${width}&trials=${chunk.join(',')}`);
    if (call !== state.curveCall) return;
    for (const id of chunk) state.curveCache.set(id, { epochs: epochs.get(id), curves: [] });
    for (const curve of curves) state.curveCache.get(curve.trial).curves.push(curve);
    // The first chunk of a long list is drawn at once; the rest joins it as it arrives.
    if (i + CURVE_CHUNK < missing.length) publish();
  }
  if (call !== state.curveCall) return;
  publish();
  const main = document.getElementById('main');
  if (main && !main.dataset.rendered) main.dataset.rendered = String(Math.round(performance.now()));
}

/** The note above the curves for curveTrials' choice, with a "draw all" button when it is capped. */
function curveNote(state, note, redraw) {
  const chosen = state.curveChoice;
  if (!chosen || !chosen.capped) return false;
  const metric = state.detail.sweep.metric;
  note.replaceChildren(`showing the best ${chosen.ids.length} of the ${chosen.listed} trial(s) the table lists, by ${metric}; tick trials to choose, or `,
    el('button', { id: 'all-curves', type: 'button', text: `draw all ${chosen.listed}`, onclick: () => { state.allCurves = true; redraw(); } }));
  return true;
}

/** Rows the trial table draws at once: drawing 5,000 rows of a dozen cells each was most of the page's first render. */
const TABLE_PAGE_ROWS = 100;

/**
 * The rows of the table's current page (state.tablePage, kept inside the pages there are) and, when there is more than
 * one page, a footer row with the range shown and buttons to the other pages; redraw draws the table again.
 */
function tablePage(state, rows, columnCount, redraw) {
  const pages = Math.max(1, Math.ceil(rows.length / TABLE_PAGE_ROWS));
  state.tablePage = Math.min(Math.max(0, state.tablePage || 0), pages - 1);
  const start = state.tablePage * TABLE_PAGE_ROWS;
  const shown = rows.slice(start, start + TABLE_PAGE_ROWS);
  if (pages === 1) return { rows: shown, footer: null };
  const go = page => () => { state.tablePage = page; redraw(); };
  const button = (id, text, page, enabled) => el('button', { id, type: 'button', text, disabled: !enabled, onclick: go(page) });
  const footer = el('tfoot', {}, el('tr', {}, el('td', { colspan: columnCount, class: 'table-pager' },
    button('table-first', '« first', 0, state.tablePage > 0), ' ', button('table-previous', '‹ previous', state.tablePage - 1, state.tablePage > 0), ' ',
    el('span', { id: 'table-range', text: `rows ${start + 1}–${start + shown.length} of ${rows.length}` }), ' ',
    button('table-next', 'next ›', state.tablePage + 1, state.tablePage < pages - 1), ' ', button('table-last', 'last »', pages - 1, state.tablePage < pages - 1))));
  return { rows: shown, footer };
}
