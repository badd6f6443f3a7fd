// The sweep page's analysis views: the learning curves' controls (smoothing, seed groups, a compact legend). It uses
// the helpers of dashboard.js (el, PALETTE, EPOCH_STEPS), which is loaded first; every label is set as text.
'use strict';

// ---------- learning curves: smoothing, seed groups, legend ----------

/**
 * TensorBoard's debiased exponential moving average (its scalars dashboard's "smoothing"): with weight w in [0, 1),
 * s_n = w·s_{n−1} + (1 − w)·v_n from s_0 = 0, shown as s_n / (1 − w^n), so the first point is the raw value and no
 * line starts pulled towards zero. Missing values (null) stay missing and do not count.
 */
function debiasedEma(values, weight) {
  if (!(weight > 0)) return values.slice();
  let last = 0, count = 0;
  return values.map(v => {
    if (v === null || v === undefined || !isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - Math.pow(weight, count));
  });
}

/** A trial's settings without its seed: trials with the same key are repeats of one configuration. */
function configurationKey(trial) {
  const settings = Object.entries(trial.parameters).filter(([name]) => name !== 'seed').sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(settings);
}

/** A repeat group's name: its first trial's name without the seed (names carry `seed=N` only where seeds differ). */
function groupName(name) {
  return name.replace(/\s*\bseed=\S+/g, '').replace(/\s*\(trial \d+\)$/, '').trim() || name;
}

/** The smoothing slider and the "group repeats" box, above the curves. */
function curveControls(state, redraw) {
  const slider = el('input', { id: 'smoothing', type: 'range', min: 0, max: 0.99, step: 0.01, value: state.smoothing,
    'aria-label': 'smoothing (debiased EMA weight)' });
  const shown = el('output', { id: 'smoothing-value', text: Number(state.smoothing).toFixed(2) });
  slider.addEventListener('input', () => { state.smoothing = Number(slider.value); shown.textContent = state.smoothing.toFixed(2); redraw(); });
  const group = el('input', { id: 'group-repeats', type: 'checkbox', checked: state.groupRepeats });
  group.addEventListener('change', () => { state.groupRepeats = group.checked; redraw(); });
  return el('span', { class: 'curve-controls' },
    el('label', { title: 'TensorBoard\'s debiased exponential moving average; 0 draws the raw values' }, ' smoothing ', slider, ' ', shown),
    el('label', { title: 'trials that differ only by their seed become one line: the mean, with a band from the lowest to the highest seed' },
      ' ', group, ' group repeats (mean, min–max band)'),
    // Set by drawSweepCurves: grouping with no repeats to group would otherwise change nothing, silently.
    ' ', el('span', { id: 'group-note', class: 'note', role: 'status' }));
}

/**
 * The lines to draw for one metric kind ("loss" or "accuracy"): per trial, or per repeat group with its mean and
 * min/max, after smoothing each trial's own values. Each line: { key, name, members, metric, x, y, low, high, values,
 * band }, y, low and high × scale as drawn, values and band ([low, high], groups only) in the metric's own unit (an
 * accuracy as a fraction).
 */
function curveLines(state, curves, scale) {
  const trials = new Map(state.detail.trials.map(t => [t.id, t]));
  const smoothed = curves.map(c => ({ ...c, y: debiasedEma(c.points.y, state.smoothing), x: c.points.x }));
  const scaled = values => values.map(v => v === null || v === undefined ? null : v * scale);
  const groups = new Map();
  for (const curve of smoothed) {
    const trial = trials.get(curve.trial);
    const key = (state.groupRepeats && trial ? configurationKey(trial) : `trial ${curve.trial}`) + ` ${curve.metric}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(curve);
  }
  return [...groups.entries()].map(([key, members]) => {
    if (members.length === 1) {
      const [only] = members;
      return { key, name: only.name, members: [only.trial], metric: only.metric, x: only.x, y: scaled(only.y), low: null, high: null, values: only.y };
    }
    // Epochs may differ between seeds (one still running, or cut into other buckets): align them, then take each epoch's values.
    const joined = uPlot.join(members.map(m => [m.x, m.y]));
    const x = joined[0], y = [], low = [], high = [];
    for (let i = 0; i < x.length; i++) {
      const values = joined.slice(1).map(series => series[i]).filter(v => v !== null && v !== undefined);
      y.push(values.length ? values.reduce((s, v) => s + v, 0) / values.length : null);
      low.push(values.length ? Math.min(...values) : null);
      high.push(values.length ? Math.max(...values) : null);
    }
    return { key, name: `${groupName(members[0].name)} (${members.length} seeds)`, members: members.map(m => m.trial), metric: members[0].metric,
      x, y: scaled(y), low: scaled(low), high: scaled(high), values: y, band: [low, high] };
  });
}

/**
 * How each split's line is drawn and named in the legends: train solid, validation dashed, test dotted. dash is
 * uPlot's (and the legend sample's SVG) dash pattern in pixels.
 */
const SPLIT_LINES = {
  train: { short: 'train', dash: null },
  validation: { short: 'val', dash: [6, 4] },
  test: { short: 'test', dash: [2, 3] },
};

/** The split a curve's metric belongs to (train_loss → train, val_accuracy → validation, test_loss → test). */
function splitOf(metric) {
  return metric.startsWith('train') ? 'train' : metric.startsWith('test') ? 'test' : 'validation';
}

/**
 * A line's best drawn value (the highest accuracy, the lowest loss; the earliest epoch among equals) as its legend
 * writes it, "val acc · best 97.50% @ 2", an accuracy with percent2(); a group's with its seeds' range there,
 * "val loss · best 0.3000 (0.2000–0.4000) @ 2"; "–" for a line without a value.
 */
function bestValue(line, kind, split) {
  let best = -1;
  for (let i = 0; i < line.values.length; i++) {
    const v = line.values[i];
    if (v === null || v === undefined || !isFinite(v)) continue;
    if (best < 0 || (kind === 'accuracy' ? v > line.values[best] : v < line.values[best])) best = i;
  }
  const name = `${SPLIT_LINES[split].short} ${kind === 'accuracy' ? 'acc' : 'loss'}`;
  if (best < 0) return `${name} · –`;
  const text = v => kind === 'accuracy' ? percent2(v) : v.toFixed(4);
  const range = line.band ? ` (${text(line.band[0][best])}–${text(line.band[1][best])})` : '';
  return `${name} · best ${text(line.values[best])}${range} @ ${line.x[best]}`;
}

/** A short sample of a split's line for the legend: an SVG line with the chart's colour and dash pattern. */
function lineSample(colour, split) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'line-sample');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '8');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  for (const [name, value] of Object.entries({ x1: 0, y1: 4, x2: 22, y2: 4, stroke: colour, 'stroke-width': 1.5 })) line.setAttribute(name, String(value));
  if (SPLIT_LINES[split].dash) line.setAttribute('stroke-dasharray', SPLIT_LINES[split].dash.join(' '));
  svg.append(line);
  return svg;
}

/**
 * Draws the loss and accuracy charts into their containers (charts: kind → { chart, key }, reused when the lines stay
 * the same so a live update only swaps the data), with one compact legend per chart that lists each trial or group once.
 */
function drawSweepCurves(state, { lossChart, accuracyChart, curvesNote }, charts) {
  if (!state.curves || !state.detail || typeof uPlot === 'undefined') return;
  const shown = state.selected.size > 0 ? state.selected : state.visible;
  // Every trial with a trained epoch, not only those whose curves were fetched (large-sweep.js): colours and counts stay put.
  const allTrials = state.detail.trials.filter(t => t.epochsTrained > 0).map(t => t.id).sort((a, b) => a - b);
  curvesNote.textContent = state.selected.size > 0 ? `showing ${shown.size} selected trial(s)`
    : shown && shown.size < allTrials.length ? `showing the ${allTrials.filter(t => shown.has(t)).length} trial(s) the table lists`
    : `showing all ${allTrials.length} trial(s)`;
  const width = Math.max(320, Math.min(lossChart.clientWidth || 900, 1100));
  let drawnLines = 0, grouped = false;
  for (const [kind, container, label] of [['loss', lossChart, 'cross-entropy loss (nats)'], ['accuracy', accuracyChart, 'accuracy (%)']]) {
    const curves = state.curves.filter(c => c.metric.endsWith(kind) && (!shown || shown.has(c.trial)));
    const lines = curveLines(state, curves, kind === 'accuracy' ? 100 : 1);
    drawnLines += lines.length;
    grouped = grouped || lines.some(line => line.members.length > 1);
    // The legend's entries: one per trial or group, in the order the lines come, coloured as the first trial of each.
    const entries = new Map();
    for (const line of lines) {
      const id = line.key.slice(0, line.key.lastIndexOf(' '));
      // A trial keeps its colour whatever else is shown: the colour of its place among all the sweep's trials.
      if (!entries.has(id)) entries.set(id, { name: line.name, colour: PALETTE[allTrials.indexOf(line.members[0]) % PALETTE.length], lines: {} });
      entries.get(id).lines[splitOf(line.metric)] = line;
    }
    const drawn = compactCurveChart(container, kind, label, [...entries.values()],
      { title: kind === 'loss' ? 'Loss per epoch' : 'Accuracy per epoch', width, height: 300, log: kind === 'loss' && state.logAxis }, charts.get(kind));
    if (drawn) charts.set(kind, drawn); else charts.delete(kind);
  }
  const groupNote = document.getElementById('group-note');
  if (groupNote) groupNote.textContent = state.groupRepeats && drawnLines > 0 && !grouped ? 'nothing to group: every trial has a different setting' : '';
}

/**
 * One learning-curve chart (uPlot) of one metric kind ("loss" or "accuracy") with the compact legend below it, which
 * lists each trial or group once with each split's line (SPLIT_LINES: train solid, validation dashed, test dotted) and
 * its best value and epoch, and a readout above it that names only the line under the cursor. The sweep, compare and
 * trial pages draw their curves with it. entries: one per trial or group, { name, colour, lines: { train, validation,
 * test } }, a line being { x, y, low, high, values } (low/high: a band, or null; values: y in the metric's own unit).
 * previous: what this returned for the container last time; when the lines are the same it keeps the chart and only
 * swaps its data, so a live update does not redraw it. Returns { chart, key, legend }, or null when there is no line.
 */
function compactCurveChart(container, kind, label, entries, { title, width, height, log }, previous) {
  const series = [{ label: 'epoch' }], columns = [], bands = [];
  for (const entry of entries)
    for (const split of Object.keys(SPLIT_LINES)) {
      const line = entry.lines[split];
      if (!line) continue;
      const dash = SPLIT_LINES[split].dash || undefined;
      series.push({ label: `${entry.name} ${split}`, stroke: entry.colour, width: 1.5, spanGaps: true, dash });
      columns.push([line.x, line.y]);
      if (line.low) {
        const mean = series.length - 1;
        series.push({ label: `${entry.name} ${split} max`, stroke: entry.colour, width: 0, spanGaps: true, points: { show: false } },
          { label: `${entry.name} ${split} min`, stroke: entry.colour, width: 0, spanGaps: true, points: { show: false } });
        columns.push([line.x, line.high], [line.x, line.low]);
        bands.push({ series: [mean + 1, mean + 2], fill: `${entry.colour}33` });
      }
    }
  const data = columns.length === 0 ? null : uPlot.join(columns);
  const key = JSON.stringify([log, width, series.map(s => s.label)]);
  // The latest epoch drawn, for scripts and tests that wait for a live update to reach the chart.
  container.dataset.lastEpoch = data ? String(data[0][data[0].length - 1]) : '';
  const legend = el('ul', { class: 'curve-legend', 'data-kind': kind }, entries.map(entry => el('li', {},
    el('span', { class: 'swatch', 'data-colour': entry.colour }), el('span', { class: 'legend-name', text: entry.name }),
    Object.keys(SPLIT_LINES).filter(s => entry.lines[s]).map(s => el('span', { class: `legend-value ${s}` }, ' ', lineSample(entry.colour, s), bestValue(entry.lines[s], kind, s))))));
  if (previous && previous.key === key) {
    previous.chart.setData(data);
    previous.legend.replaceWith(legend);
    previous.legend = legend;
    paintSwatches(legend);
    return previous;
  }
  if (previous) previous.chart.destroy();
  if (columns.length === 0) { container.replaceChildren(el('p', { class: 'muted', text: `no ${kind} recorded yet` })); return null; }
  const readout = el('p', { class: 'curve-readout muted', text: 'hover a line to read its value' });
  container.replaceChildren(readout);
  const value = v => v === null || v === undefined ? '–' : (kind === 'accuracy' ? `${v.toFixed(2)}%` : v.toFixed(4));
  let focused = null;
  const chart = new uPlot({
    title, width, height,
    // uPlot's own legend would list every line with its value (two per trial and three more per band); the compact
    // legend below lists each trial once, and the readout names only the line under the cursor.
    legend: { show: false },
    cursor: { focus: { prox: 24 } },
    focus: { alpha: 0.3 },
    scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
    axes: [{ label: 'epoch', incrs: EPOCH_STEPS }, { label }],
    series, bands,
    hooks: {
      setSeries: [(u, index) => { focused = index; }],
      setCursor: [u => {
        const i = u.cursor.idx;
        if (i === null || i === undefined || focused === null || focused === undefined || focused === 0) { readout.textContent = 'hover a line to read its value'; return; }
        readout.textContent = `epoch ${u.data[0][i]} · ${u.series[focused].label}: ${value(u.data[focused][i])}`;
      }],
    },
  }, data, container);
  container.append(legend);
  paintSwatches(legend);
  // The chart on its container, for scripts and tests that read what it draws (its series and their dash patterns).
  container.curveChart = chart;
  return { chart, key, legend };
}

/**
 * The compare and trial pages' loss and accuracy charts (compactCurveChart, no smoothing or groups) of curves as the
 * server sends them ({ trial, name, metric, points }): each trial once in the legend, named by name(curve) and
 * coloured by colour(trial id). charts: kind → what compactCurveChart returned, kept between live updates.
 */
function drawTrialCurves(curves, { lossChart, accuracyChart }, charts, name, colour) {
  const width = Math.max(320, Math.min(lossChart.clientWidth || 900, 1100));
  for (const [kind, container, label] of [['loss', lossChart, 'cross-entropy loss (nats)'], ['accuracy', accuracyChart, 'accuracy (%)']]) {
    const scale = kind === 'accuracy' ? 100 : 1;
    const entries = new Map();
    for (const c of curves.filter(c => c.metric.endsWith(kind))) {
      if (!entries.has(c.trial)) entries.set(c.trial, { name: name(c), colour: colour(c.trial), lines: {} });
      entries.get(c.trial).lines[splitOf(c.metric)] = { x: c.points.x, y: c.points.y.map(v => v === null ? null : v * scale), low: null, high: null, values: c.points.y };
    }
    const drawn = compactCurveChart(container, kind, label, [...entries.values()],
      { title: kind === 'loss' ? 'Loss per epoch' : 'Accuracy per epoch', width, height: 260, log: false }, charts.get(kind));
    if (drawn) charts.set(kind, drawn); else charts.delete(kind);
  }
}

/** Colours the legend's swatches from their data attribute: the page's CSP forbids inline style attributes, not CSSOM. */
function paintSwatches(legend) {
  for (const swatch of legend.querySelectorAll('.swatch')) swatch.style.backgroundColor = swatch.dataset.colour;
}

// ---------- parameters against the metric: parallel coordinates, importance, slices ----------

/** A number as the axes and lists write it: 3 significant digits, exponent form for small and large values. */
function shortNumber(v) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  if (v === 0) return '0';
  const magnitude = Math.abs(v);
  return magnitude < 1e-2 || magnitude >= 1e4 ? v.toExponential(1).replace('.0e', 'e').replace('e+', 'e') : String(Number(v.toPrecision(3)));
}

/**
 * A value axis from low to high in about four round steps (1, 2, 2.5 or 5 × 10^k), both ends on a step, with labels
 * written to the decimals the step needs: accuracies a fraction of a percent apart then read 97.25, 97.30, … instead
 * of the data's own ends beside rounded ticks, which crowded each other and, at three significant digits, repeated.
 */
function roundSteps(low, high) {
  if (!(high > low)) { const pad = Math.abs(low) * 0.01 || 1; low -= pad; high += pad; }
  const rough = (high - low) / 4;
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  const factor = [1, 2, 2.5, 5, 10].find(f => f * magnitude >= rough * (1 - 1e-9));
  const step = factor * magnitude;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (factor === 2.5 ? 1 : 0));
  return { min: Math.floor(low / step + 1e-9) * step, max: Math.ceil(high / step - 1e-9) * step, interval: step, format: v => v.toFixed(decimals) };
}

/** The metric as the views draw it: accuracies in percent, losses as they are. */
function metricScale(metric) { return metric.endsWith('accuracy') ? 100 : 1; }

/**
 * The analysis sections of the sweep page: `brushing`, the parallel coordinates whose brushes filter the trial table
 * and the curves (through state.brushed, a set of trial ids or null), to go above the table; `element`, the importance
 * bars and a slice per parameter. onBrush redraws the table. refresh(detail) fetches the analysis again and redraws.
 */
function sweepAnalysisSection(state, sweepId, onBrush) {
  const parallel = el('div', { id: 'parallel-chart', class: 'analysis-chart' });
  const brushNote = el('p', { id: 'brush-note', class: 'muted' });
  // Always in place (disabled while nothing is brushed): text appearing above the chart mid-drag would move it under the pointer.
  const clear = el('button', { id: 'clear-brush', type: 'button', text: 'clear the brushes', disabled: true });
  const importance = el('div', { id: 'importance' });
  const slices = el('div', { id: 'slices', class: 'slices' });
  // The parallel coordinates go above the trial table: brushing shortens the table, which must not move the chart
  // under the pointer while it drags.
  const brushing = el('section', { id: 'parallel-section' }, el('h2', { text: 'Parameters against the metric' }),
    el('p', { class: 'muted', text: 'Drag along any axis to brush a range; the table and the curves keep the trials inside every brush. Drag again elsewhere on the axis for a new range, click an axis off a brush to clear it.' }),
    el('div', { class: 'brush-bar' }, clear, ' ', brushNote), parallel);
  const element = el('div', { id: 'analysis' },
    el('section', {}, el('h2', { text: 'Hyperparameter importance' }), importance),
    el('section', {}, el('h2', { text: 'Slices' }), el('p', { class: 'muted', text: 'Each parameter against the metric at each trial\'s best epoch, one point per trial.' }), slices));
  let chart = null, drawnKey = null, rows = [], axes = [];
  const sliceCharts = new Map();

  function brushed() {
    if (!chart) return null;
    const series = chart.getModel().getSeries()[0];
    const active = series.getRawIndicesByActiveState('active');
    const inactive = series.getRawIndicesByActiveState('inactive');
    return active.length === 0 && inactive.length === 0 ? null : new Set(active.map(i => rows[i].id));
  }

  function describeBrushes() {
    const model = chart.getModel();
    const parts = [];
    axes.forEach((axis, i) => {
      const intervals = model.getComponent('parallelAxis', i).activeIntervals || [];
      for (const [low, high] of intervals)
        parts.push(axis.categories
          ? `${axis.name} in {${axis.categories.slice(Math.ceil(low), Math.floor(high) + 1).join(', ')}}`
          : `${shortNumber(axis.unscale(low))} ≤ ${axis.name} ≤ ${shortNumber(axis.unscale(high))}`);
    });
    return parts.join(' and ');
  }

  function onSelect() {
    const before = state.brushed;
    state.brushed = brushed();
    clear.disabled = state.brushed === null;
    brushNote.textContent = state.brushed === null ? `${rows.length} trial(s) drawn; nothing brushed`
      : `brushed: ${describeBrushes()} · ${state.brushed.size} of ${rows.length} trial(s)`;
    // Nothing brushed before or after (the chart drawn anew): the table already shows what it would draw again.
    if (before !== null || state.brushed !== null) onBrush();
  }
  clear.addEventListener('click', () => {
    axes.forEach((_, i) => chart.dispatchAction({ type: 'axisAreaSelect', parallelAxisIndex: i, intervals: [] }));
    onSelect();
  });

  function drawParallel(detail, analysis) {
    const scale = metricScale(analysis.metric);
    const metricName = analysis.metric + (scale === 100 ? ' (%)' : '');
    const trials = detail.trials.filter(t => t.best !== null && t.best !== undefined && isFinite(t.best));
    axes = analysis.parameters.map(p => {
      if (!p.numeric) {
        const categories = [...new Set(trials.map(t => t.parameterTexts[p.name] ?? '–'))].sort();
        return { name: p.name, categories, value: t => categories.indexOf(t.parameterTexts[p.name] ?? '–'), unscale: v => v };
      }
      // A log axis is drawn as log10 on a value axis (ECharts' log axis cannot be brushed below 1): labels undo it.
      return p.log
        ? { name: p.name, log: true, value: t => Math.log10(t.parameters[p.name]), unscale: v => Math.pow(10, v) }
        : { name: p.name, value: t => t.parameters[p.name], unscale: v => v };
    });
    axes.push({ name: metricName, value: t => t.best * scale, unscale: v => v,
      steps: roundSteps(Math.min(...trials.map(t => t.best * scale)), Math.max(...trials.map(t => t.best * scale))) });
    rows = trials;
    const data = trials.map(t => axes.map(a => a.value(t)));
    const key = JSON.stringify([axes.map(a => [a.name, a.categories, a.log]), data]);
    if (key === drawnKey) return;
    drawnKey = key;
    if (trials.length === 0 || axes.length < 2) {
      if (chart) { chart.dispose(); chart = null; }
      parallel.replaceChildren(el('p', { class: 'muted', text: trials.length === 0 ? `no trial has a ${analysis.metric} yet` : 'no parameter differs between the trials' }));
      state.brushed = null;
      return;
    }
    if (!chart) { parallel.replaceChildren(); chart = echarts.init(parallel, null, { renderer: 'canvas', width: Math.min(1100, Math.max(480, 140 * axes.length)), height: 320 }); chart.on('axisareaselected', onSelect); }
    chart.setOption({
      animation: false,
      parallel: { left: 60, right: 90, top: 40, bottom: 30 },
      parallelAxis: axes.map((a, i) => ({
        dim: i, name: a.log ? `${a.name} (log)` : a.name, nameTextStyle: { fontSize: 12 },
        ...(a.categories ? { type: 'category', data: a.categories }
          : a.steps ? { type: 'value', min: a.steps.min, max: a.steps.max, interval: a.steps.interval, axisLabel: { formatter: a.steps.format, hideOverlap: true } }
          : { type: 'value', min: 'dataMin', max: 'dataMax', scale: true, axisLabel: { formatter: v => shortNumber(a.unscale(v)) } }),
      })),
      // Every line in this one call: above 3,000 lines ECharts would draw 500 a frame, and the chart would come in over
      // a dozen frames that the table, the importance and the slices also want.
      series: [{ type: 'parallel', progressive: 0, lineStyle: { width: 1.5, opacity: 0.6 }, inactiveOpacity: 0.05, activeOpacity: 1, data }],
    }, { notMerge: false });
    parallel.dataset.trials = trials.map(t => t.id).join(',');
    // Milliseconds from navigation until the lines were first drawn, which `bench dashboard` reads (as data-rendered).
    if (!parallel.dataset.drawn) parallel.dataset.drawn = String(Math.round(performance.now()));
    onSelect();
  }

  function drawImportance(analysis) {
    const result = analysis.importance;
    const method = result.method === 'main-effect ANOVA'
      ? 'Exact main-effect ANOVA on the full grid: each parameter\'s share of the variance of the metric across the grid\'s cells (repeats averaged).'
      : result.method === 'PED-ANOVA'
        ? 'PED-ANOVA (Watanabe et al. 2023): how far each parameter\'s values among the best 10% of trials depart from its values among all, normalised to sum to 100%.'
        : '';
    const bars = result.bars.map(b => {
      const bar = el('span', { class: 'bar', 'data-share': b.importance });
      return el('tr', { 'data-parameter': b.parameter }, el('th', { text: b.parameter }), el('td', { class: 'bar-cell' }, bar),
        el('td', { class: 'num share', text: `${(b.importance * 100).toFixed(1)}%` }));
    });
    if (result.interactionShare !== null && result.interactionShare !== undefined && result.bars.length)
      bars.push(el('tr', { class: 'interactions' }, el('th', { class: 'muted', text: 'interactions' }), el('td', { class: 'bar-cell' }, el('span', { class: 'bar muted-bar', 'data-share': Math.max(0, result.interactionShare) })),
        el('td', { class: 'num share', text: `${(Math.max(0, result.interactionShare) * 100).toFixed(1)}%` })));
    importance.replaceChildren(...[
      el('p', { id: 'importance-method', class: 'muted', text: `${result.method === 'none' ? '' : `${result.method}, on ${analysis.metric} at each trial's best epoch, ${result.trialsUsed} of ${result.trials} trials. `}${method}` }),
      bars.length ? el('table', { id: 'importance-bars' }, el('tbody', {}, bars)) : null,
      result.note ? el('p', { id: 'importance-note', class: 'note', text: result.note }) : null].filter(Boolean));
    for (const bar of importance.querySelectorAll('.bar')) bar.style.width = `${Math.round(Number(bar.dataset.share) * 300)}px`;
  }

  function drawSlices(detail, analysis) {
    const scale = metricScale(analysis.metric);
    const trials = detail.trials.filter(t => t.best !== null && t.best !== undefined && isFinite(t.best));
    const wanted = new Set(analysis.parameters.map(p => p.name));
    for (const [name, entry] of sliceCharts) if (!wanted.has(name)) { entry.chart.dispose(); entry.box.remove(); sliceCharts.delete(name); }
    for (const p of analysis.parameters) {
      let entry = sliceCharts.get(p.name);
      if (!entry) {
        const box = el('div', { class: 'slice', 'data-parameter': p.name });
        slices.append(box);
        entry = { box, chart: echarts.init(box, null, { renderer: 'canvas', width: 340, height: 260 }) };
        sliceCharts.set(p.name, entry);
      }
      const categories = p.numeric ? null : [...new Set(trials.map(t => t.parameterTexts[p.name] ?? '–'))].sort();
      entry.chart.setOption({
        animation: false,
        title: { text: `${analysis.metric} by ${p.name}`, textStyle: { fontSize: 13 }, left: 'center' },
        // The title's own band above the plot, and the y axis's unit on its side: at the top of the axis, where ECharts
        // puts an axis name, "%" and the highest value's label ran into the title.
        grid: { left: 56, right: 16, top: 44, bottom: 40 },
        tooltip: { trigger: 'item', formatter: item => `trial ${item.data[2]}: ${p.name} ${item.data[3]}, ${analysis.metric} ${item.data[4]}` },
        // Every category named (ECharts would otherwise drop labels that overlap), each cut to its slot.
        xAxis: categories ? { type: 'category', data: categories, name: p.name, nameLocation: 'middle', nameGap: 26,
          axisLabel: { interval: 0, overflow: 'truncate', width: Math.max(40, 260 / categories.length) } }
          : { type: p.log ? 'log' : 'value', scale: true, name: p.log ? `${p.name} (log)` : p.name, nameLocation: 'middle', nameGap: 26, axisLabel: { formatter: shortNumber } },
        yAxis: { type: 'value', scale: true, name: scale === 100 ? '%' : '', nameLocation: 'middle', nameGap: 40 },
        series: [{ type: 'scatter', symbolSize: 8,
          data: trials.map(t => [categories ? categories.indexOf(t.parameterTexts[p.name] ?? '–') : t.parameters[p.name], t.best * scale, t.id, t.parameterTexts[p.name], t.bestText]) }],
      }, { notMerge: true });
    }
  }

  async function refresh(detail) {
    if (typeof echarts === 'undefined') return;
    const analysis = await getJson(`/api/sweeps/${sweepId}/analysis`);
    drawParallel(detail, analysis);
    drawImportance(analysis);
    drawSlices(detail, analysis);
  }
  return { brushing, element, refresh };
}
