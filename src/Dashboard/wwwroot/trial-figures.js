// The trial page's figures: every epoch's classification metrics (tables, confusion matrix, ROC), weight health, and
// the inside-the-network views (kernels, feature maps, saliency / Grad-CAM / CAM, class probabilities). Every picture
// is the one the matching `viz` command draws, fetched from /api/trials/{id}/…; each view has its own epoch slider and a
// play button. Uses el(), getJson() and percent2() from dashboard.js; trialPage() there calls trialFigures().
'use strict';

/** Fractions as the CLI's tables write them: four decimals; "–" for an undefined value. */
function fixed4(value) {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : Number(value).toFixed(4);
}

/**
 * Watches `element` from the first call of the returned function on, which says whether it has come into the viewport
 * yet; onFirstSight() runs the first time it does. The trial page asks for a view's figures only then, so the view in
 * sight is drawn first instead of waiting behind a dozen others the server draws at the same time on a few cores.
 * Watching starts at the first call (once the trial's data has arrived), not when the view is made: on the still empty
 * page every view would count as in sight.
 */
function sightOf(element, onFirstSight) {
  let seen = false, watching = false;
  return () => {
    if (!watching) {
      watching = true;
      new IntersectionObserver((entries, observer) => {
        if (!entries.some(e => e.isIntersecting)) return;
        observer.disconnect();
        seen = true;
        onFirstSight();
      }).observe(element);
    }
    return seen;
  };
}

/** The mark of the trial's best epoch (its stored best by the sweep's metric) wherever the trial page lists epochs. */
const BEST_MARK = '★';

/** An epoch as the trial page writes it: with BEST_MARK after it when it is the trial's best. */
function epochText(epoch, best) {
  return epoch === best ? `${epoch} ${BEST_MARK}` : String(epoch);
}

/**
 * An epoch slider with a label and a play button over a list of epochs. onChange(epoch) runs when the user moves it,
 * presses play (one step per `stepMs`, after the shown picture has loaded), or setEpochs() moves it. Given the epochs
 * that have a weight snapshot too (setEpochs(epochs, stored)), an epoch without one runs onMissing() instead and says
 * so, with buttons to the nearest stored epochs (a trial with `snapshots: {every: N}`, or pruned); play skips it.
 * Given the trial's best epoch (setEpochs(epochs, stored, best)), the slider starts there and marks it with BEST_MARK;
 * play from there, or from the last epoch, starts over from the first.
 */
function epochSlider(prefix, onChange, stepMs = 700, onMissing = () => {}) {
  const slider = el('input', { id: `${prefix}epoch-slider`, type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'epoch' });
  const label = el('span', { id: `${prefix}epoch-label`, title: `${BEST_MARK}: the trial's best epoch by the sweep's metric` });
  const play = el('button', { id: `${prefix}play`, type: 'button', class: 'play', text: '▶ play', title: 'step through the epochs' });
  const missing = el('span', { id: `${prefix}no-snapshot`, class: 'no-snapshot', role: 'status' });
  // moved: the user chose an epoch (slider, play, a nearest-epoch button); until then the slider follows the best epoch.
  let epochs = [], stored = null, best = null, index = null, timer = null, moved = false;
  // Replaced by drawWhenInSight(): onChange waits until the view has been seen.
  let inSight = () => true;
  const current = () => epochs[index];
  const hasSnapshot = epoch => stored === null || stored.includes(epoch);
  function show() {
    slider.value = String(index);
    const epoch = current();
    const listed = epochs.map(e => epochText(e, best)).join(', ');
    label.textContent = epochs.every(hasSnapshot) ? `${epochText(epoch, best)} (of ${listed})` : `${epochText(epoch, best)} (of ${listed}; weights stored at ${stored.join(', ')})`;
    if (hasSnapshot(epoch)) {
      missing.replaceChildren();
      if (inSight()) onChange(epoch);
      return;
    }
    const nearest = [Math.max(...stored.filter(e => e < epoch)), Math.min(...stored.filter(e => e > epoch))].filter(Number.isFinite);
    missing.replaceChildren(`epoch ${epoch} has no weight snapshot; nearest: `,
      ...nearest.flatMap((e, i) => [i > 0 ? ' ' : '', el('button', { type: 'button', class: 'nearest', 'data-epoch': e, text: `epoch ${e}`,
        onclick: () => { stop(); moved = true; index = epochs.indexOf(e); show(); } })]));
    onMissing();
  }
  function stop() {
    clearTimeout(timer);
    timer = null;
    play.textContent = '▶ play';
  }
  slider.addEventListener('input', () => { stop(); moved = true; index = Number(slider.value); show(); });
  play.addEventListener('click', () => {
    if (timer !== null) { stop(); return; }
    if (epochs.length < 2) return;
    // Play shows the training unfold: from the first stored epoch when the slider is still where the page opened it
    // (the best epoch, often near the end, which left one or two steps to play) or at the last epoch.
    const fromStart = !moved || index === epochs.length - 1;
    moved = true;
    play.textContent = '⏸ pause';
    if (fromStart) { index = Math.max(0, epochs.findIndex(hasSnapshot)); show(); }
    const step = () => {
      const next = epochs.findIndex((e, i) => i > index && hasSnapshot(e));
      if (next < 0) { stop(); return; }
      index = next;
      show();
      timer = setTimeout(step, stepMs);
    };
    timer = setTimeout(step, stepMs);
  });
  return {
    controls: [el('label', {}, 'epoch ', slider), ' ', label, ' ', play, ' ', missing],
    /**
     * Until the user moves it, the slider sits on the trial's best epoch (`bestEpoch`, when listed with a snapshot),
     * else on the latest stored one, and follows it as new epochs come. Moved by the user, it stays on the chosen
     * epoch, or at the latest when that is where it was moved to. withSnapshots, when given, lists the epochs that have
     * a weight snapshot (none: nothing to step over).
     */
    setEpochs(next, withSnapshots = null, bestEpoch = null) {
      if (withSnapshots !== null && withSnapshots.length === 0) next = [];
      const latest = list => list.findLastIndex(hasSnapshot);
      const atLast = index !== null && index === latest(epochs);
      const previous = current();
      const same = next.length === epochs.length && next.every((e, i) => e === epochs[i]) && String(withSnapshots) === String(stored) && bestEpoch === best;
      epochs = next;
      stored = withSnapshots;
      best = bestEpoch;
      slider.max = String(Math.max(0, next.length - 1));
      if (next.length === 0) { index = null; label.textContent = ''; missing.replaceChildren(); return; }
      const follows = !moved || index === null;
      const start = next.includes(best) && hasSnapshot(best) ? next.indexOf(best) : Math.max(0, latest(next));
      index = follows ? start : atLast ? Math.max(0, latest(next)) : Math.max(0, next.indexOf(previous));
      if (!same || follows || atLast) show();
    },
    epoch: current,
    refresh() { if (index !== null) show(); },
    /** Holds onChange back until `element` (the slider's view) has come into sight, then runs it for the epoch shown. */
    drawWhenInSight(element) { inSight = sightOf(element, () => this.refresh()); },
  };
}

/** An <img> that shows a figure's address and, when the server refuses it, the message it gave. */
function figureImage(id, alt) {
  const image = el('img', { id, alt, class: 'figure' });
  const error = el('p', { id: `${id}-error`, class: 'error', role: 'alert' });
  // Set while no picture is wanted (an epoch without a snapshot): a load or error still in flight then shows nothing.
  let cleared = false;
  image.addEventListener('error', async () => {
    if (!image.getAttribute('src') || cleared) return;
    const response = await fetch(image.src).catch(() => null);
    const body = response ? await response.json().catch(() => null) : null;
    if (cleared) return;
    error.textContent = body && body.error ? body.error : `the ${alt} could not be drawn`;
    image.hidden = true;
  });
  image.addEventListener('load', () => { if (cleared) return; error.textContent = ''; image.hidden = false; });
  return {
    image, error,
    show(url) {
      // After clear(), even the same address is set again, so its load (or refusal) shows it once more.
      if (cleared || image.getAttribute('src') !== url) image.src = url;
      cleared = false;
    },
    /** No picture (an epoch without a snapshot) until the next show(). */
    clear() { cleared = true; image.hidden = true; error.textContent = ''; },
  };
}

function query(parameters) {
  return Object.entries(parameters).filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

// ---------- every epoch's numbers ----------

function classificationSection(id) {
  const split = el('select', { id: 'class-split' }, ['test', 'val', 'train'].map(s => el('option', { value: s, text: s })));
  const macro = el('table', { id: 'macro' });
  const perClass = el('table', { id: 'per-class' });
  const confusion = figureImage('confusion', 'confusion matrix');
  const roc = figureImage('roc', 'ROC curves');
  const note = el('p', { class: 'muted', id: 'classification-note' });
  let request = 0;
  async function draw(epoch) {
    const mine = ++request;
    const s = split.value;
    confusion.show(`/api/trials/${id}/confusion.svg?${query({ epoch, split: s })}`);
    roc.show(`/api/trials/${id}/roc.svg?${query({ epoch, split: s })}`);
    try {
      const c = await getJson(`/api/trials/${id}/classification?${query({ epoch, split: s })}`);
      if (mine !== request) return;
      // The train split's figures are over a fixed sample of the first training images in evaluation mode, so its
      // accuracy differs from the Epochs table's, which is the running figure over the epoch's training batches.
      note.textContent = `${s} split, epoch ${c.epoch}: ${c.images} images, accuracy ${percent2(c.accuracy)}` +
        (s === 'train' ? ' (a fixed sample of the first training images, in evaluation mode; the Epochs table\'s train accuracy is the running figure over the epoch\'s batches)' : '');
      macro.replaceChildren(
        el('thead', {}, el('tr', {}, ['accuracy', 'macro precision', 'macro recall', 'macro F1', 'macro AUC'].map(h => el('th', { text: h })))),
        el('tbody', {}, el('tr', {}, [percent2(c.accuracy), fixed4(c.macroPrecision), fixed4(c.macroRecall), fixed4(c.macroF1), fixed4(c.macroAuc)]
          .map(v => el('td', { class: 'num', text: v })))));
      perClass.replaceChildren(
        el('thead', {}, el('tr', {}, ['class', 'precision', 'recall', 'F1', 'support', 'AUC'].map(h => el('th', { text: h })))),
        el('tbody', {}, c.perClass.map(k => el('tr', { 'data-class': k.class }, el('th', { text: k.name }),
          [fixed4(k.precision), fixed4(k.recall), fixed4(k.f1), k.support, fixed4(k.auc)].map(v => el('td', { class: 'num', text: v }))))));
    } catch (error) {
      if (mine === request) note.textContent = error.message;
    }
  }
  const slider = epochSlider('class-', draw);
  let best = null;
  // The slider covers the epochs whose metrics are stored (an epoch recorded without them has no figures).
  async function setEpochs() {
    try {
      const epochs = await getJson(`/api/trials/${id}/classification/epochs?${query({ split: split.value })}`);
      if (epochs.length === 0) note.textContent = `No ${split.value} classification metrics are stored for this trial yet.`;
      slider.setEpochs(epochs, null, best);
    } catch (error) {
      note.textContent = error.message;
    }
  }
  split.addEventListener('change', async () => { await setEpochs(); slider.refresh(); });
  const section = el('section', { id: 'classification-section' }, el('h2', { text: 'Classification, epoch by epoch' }),
    el('div', { class: 'controls' }, el('label', {}, 'split ', split), ' ', slider.controls),
    el('p', { class: 'muted', text: 'As stored for each epoch (results show); the charts are the ones viz confusion and viz roc draw, the confusion matrix with each cell\'s count of images written in it (up to 20 classes).' }),
    note, el('div', { class: 'tables' }, macro, perClass),
    el('div', { class: 'figures' }, confusion.image, roc.image), confusion.error, roc.error);
  slider.drawWhenInSight(section);
  return {
    section,
    update(detail) { best = detail.bestEpoch; return setEpochs(); },
  };
}

function healthSection(id) {
  const layers = el('table', { id: 'health-layers' });
  const problems = el('ul', { id: 'health-problems' });
  const tensor = el('select', { id: 'health-tensor' });
  const chart = figureImage('health-chart', 'filter norms over the epochs');
  let shownFor = null, latest = null;
  tensor.addEventListener('change', () => chart.show(`/api/trials/${id}/health.svg?${query({ tensor: tensor.value })}`));
  const section = el('section', { id: 'health-section' }, el('h2', { text: 'Weight health' }),
    el('p', { class: 'muted', text: 'Each filter\'s L2 norm over the stored epochs, dead filters (a norm below 0.1% of its layer\'s first median) and NaN or infinite weights, as viz health finds them.' }),
    layers, problems, el('div', { class: 'controls' }, el('label', {}, 'layer ', tensor)), chart.image, chart.error);
  // Weight health reads every stored snapshot, so nothing is asked until the section has been seen.
  const seen = sightOf(section, () => draw(latest));
  async function draw(detail) {
    const key = detail.snapshotEpochs.join(',');
    if (detail.snapshotEpochs.length === 0 || key === shownFor) return;
    shownFor = key;
    try {
      const h = await getJson(`/api/trials/${id}/health`);
      layers.replaceChildren(
        el('thead', {}, el('tr', {}, ['weights', 'kind', 'filters', `dead at epoch ${h.epochs[h.epochs.length - 1]}`, 'epochs with NaN/∞'].map(t => el('th', { text: t })))),
        el('tbody', {}, h.layers.map(l => el('tr', { 'data-tensor': l.tensor }, el('td', { text: l.tensor }), el('td', { text: l.kind }),
          [l.filters, l.deadFilters, l.nonFiniteEpochs].map(v => el('td', { class: v > 0 && v !== l.filters ? 'num error-text' : 'num', text: v }))))));
      problems.replaceChildren(...(h.problems.length ? h.problems.map(p => el('li', { class: 'error-text', text: p }))
        : [el('li', { text: `healthy over epochs ${h.epochs.join(', ')}: no dead filter, no NaN or infinite weight` })]));
      const chosen = tensor.value;
      tensor.replaceChildren(...h.layers.map(l => el('option', { value: l.tensor, text: `${l.tensor} (${l.kind}, ${l.filters})` })));
      if (h.layers.some(l => l.tensor === chosen)) tensor.value = chosen;
      chart.show(`/api/trials/${id}/health.svg?${query({ tensor: tensor.value })}&epochs=${encodeURIComponent(key)}`);
    } catch (error) {
      problems.replaceChildren(el('li', { class: 'error-text', text: error.message }));
    }
  }
  return {
    section,
    update(detail) {
      latest = detail;
      if (seen()) return draw(detail);
    },
  };
}

// ---------- inside the network ----------

/** One picture view: its choosers, an epoch slider and play button, and the picture at url(epoch). */
function pictureView(prefix, title, note, choosers, url, alt) {
  const picture = figureImage(prefix === '' ? 'kernels' : `${prefix}picture`, alt);
  // No address (nothing to draw with the choices made) shows no picture, rather than the last one under new choices.
  const slider = epochSlider(prefix, epoch => { const address = url(epoch); if (address) picture.show(address); else picture.clear(); }, undefined, picture.clear);
  const section = el('section', { class: 'view', id: `${prefix || 'kernel-'}view` }, el('h3', { text: title }),
    el('div', { class: 'controls' }, choosers, choosers.length ? ' · ' : '', slider.controls), el('p', { class: 'muted', text: note }), picture.error, picture.image);
  slider.drawWhenInSight(section);
  return { section, slider, picture };
}

function networkSection(id) {
  const state = { network: null, firstSnapshot: null };
  const imageIndex = el('input', { id: 'image-index', type: 'number', min: 0, value: 0, step: 1, 'aria-label': 'image index' });
  const imageSplit = el('select', { id: 'image-split' }, ['test', 'train'].map(s => el('option', { value: s, text: s })));
  const imageNote = el('span', { class: 'muted', id: 'image-note' });
  const image = () => ({ image: imageIndex.value, split: imageSplit.value });

  const kernelLayer = el('select', { id: 'layer' });
  const change = el('input', { id: 'kernel-change', type: 'checkbox' });
  const kernelNote = el('p', { class: 'muted', id: 'kernel-note' });
  const kernels = pictureView('', 'Kernels',
    'The picture viz kernels draws for the chosen epoch, from the stored weight snapshot: each kernel rescaled per filter (000 Fig. 9); "change since epoch 0" draws the epoch minus the first stored epoch on one symmetric scale (viz kernels --change).',
    [el('label', {}, 'layer ', kernelLayer), ' ', el('label', {}, change, ' change since epoch 0')],
    epoch => {
      // The first stored epoch minus itself is 0 everywhere: nothing to draw, and the note says so instead of a refused request.
      const unchanged = change.checked && state.firstSnapshot !== null && Number(epoch) === state.firstSnapshot;
      kernelNote.textContent = unchanged ? `Epoch ${epoch} is the first stored epoch, so its change since then is 0 everywhere: move the slider to a later epoch.` : '';
      return kernelLayer.value && !unchanged ? `/api/trials/${id}/kernels.png?${query({ layer: kernelLayer.value, epoch, change: change.checked ? 'true' : null })}` : null;
    },
    'kernels of the chosen layer at the chosen epoch');
  kernels.section.append(kernelNote);

  const mapLayer = el('select', { id: 'map-layer' });
  const maps = pictureView('maps-', 'Feature maps',
    'The chosen image\'s feature maps at the chosen layer (conv, ReLU and pooling outputs), recomputed from the epoch\'s snapshot, as viz activations draws them.',
    [el('label', {}, 'layer ', mapLayer)],
    epoch => mapLayer.value ? `/api/trials/${id}/activations.png?${query({ layer: mapLayer.value, ...image(), epoch })}` : null,
    'feature maps of the chosen image');
  naturalSizeFrame(maps.picture.image);

  // The methods as a row of buttons, the chosen one pressed: all three are in sight, and one click draws another.
  const method = { value: 'saliency' };
  const methodButtons = [['saliency', 'saliency'], ['gradcam', 'Grad-CAM'], ['cam', 'CAM']].map(([v, t]) =>
    el('button', { type: 'button', class: 'method', 'data-method': v, 'aria-pressed': String(v === method.value), text: t, onclick: () => chooseMethod(v) }));
  const targetClass = el('select', { id: 'attribution-class' });
  const attributionLayer = el('select', { id: 'attribution-layer' });
  const attributionNote = el('p', { class: 'muted', id: 'attribution-note' });
  const attribution = pictureView('attribution-', 'Saliency, Grad-CAM and CAM',
    'Which pixels the chosen class\'s score depends on, as viz saliency, viz gradcam and viz cam draw it: image, map and overlay.',
    [el('span', { id: 'attribution-method', role: 'group', 'aria-label': 'method' }, 'method ', methodButtons), ' ', el('label', {}, 'class ', targetClass), ' ', el('label', {}, 'Grad-CAM layer ', attributionLayer)],
    // Grad-CAM with no default layer for this model draws nothing until a layer is chosen, and CAM nothing for a model
    // it does not apply to: the note below says why, and no request is made that the server would refuse.
    epoch => noGradCamLayer() || noCam() ? null
      : `/api/trials/${id}/${method.value}.png?${query({ ...image(), class: targetClass.value, layer: method.value === 'gradcam' ? attributionLayer.value || signedFallback() : null, epoch })}`,
    'attribution map of the chosen image');
  attribution.section.append(attributionNote);
  // A model with no rectified maps larger than 1×1 (lenet-matconvnet's only ReLU is 1×1) has no Grad-CAM layer by the
  // rule viz gradcam follows; rather than an empty view, the default draws the last maps larger than 1×1 and the note
  // says they are signed. Null when the model has such a layer, or no maps larger than 1×1 at all.
  const fallbackLayer = n => n.gradCamLayer !== null ? null : (n.mapLayers.filter(l => l.shape.length === 3 && l.shape[1] * l.shape[2] > 1).at(-1) ?? null);
  const signedFallback = () => { const f = state.network && fallbackLayer(state.network); return f ? String(f.index) : null; };
  const noGradCamLayer = () => method.value === 'gradcam' && attributionLayer.value === '' && state.network !== null && state.network.gradCamLayer === null && signedFallback() === null;
  const noCam = () => method.value === 'cam' && state.network !== null && Boolean(state.network.camNote);
  // The notes are the CLI's refusals, which name its option; here the layer is the menu beside the method.
  const gradCamNote = n => n.gradCamNote.replace('(`viz gradcam --layer L`)', 'with "Grad-CAM layer" above');
  const fallbackNote = n => {
    const f = fallbackLayer(n);
    return !f ? gradCamNote(n)
      : `This model has no rectified feature maps larger than 1×1, so Grad-CAM is drawn at layer ${f.index} (${f.description}, ${f.shape.join('×')}), ` +
        'the last maps larger than 1×1. They are signed, so the heat can mark the background as readily as the object; choose another "Grad-CAM layer" above to compare.';
  };
  const camNote = n => n.camNote.replace('`viz gradcam --layer L`', 'press Grad-CAM and choose a "Grad-CAM layer" above');

  const probabilities = pictureView('probabilities-', 'Class probabilities',
    'The softmax probability of each class for the chosen image (002 Fig. 5), true class red, a wrong prediction orange, as viz probabilities draws it.',
    [], epoch => `/api/trials/${id}/probabilities.svg?${query({ ...image(), epoch })}`, 'class probabilities of the chosen image');

  const decoded = decodedFiltersSection(id);
  const views = [kernels, maps, attribution, probabilities];
  const redrawImageViews = () => [maps, attribution, probabilities].forEach(v => v.slider.refresh());
  imageIndex.addEventListener('change', redrawImageViews);
  imageSplit.addEventListener('change', () => { limitImages(); redrawImageViews(); });
  kernelLayer.addEventListener('change', () => kernels.slider.refresh());
  change.addEventListener('change', () => kernels.slider.refresh());
  mapLayer.addEventListener('change', () => maps.slider.refresh());
  targetClass.addEventListener('change', () => attribution.slider.refresh());
  const attributionChanged = () => {
    const n = state.network;
    attributionNote.textContent = !n ? '' : method.value === 'gradcam' && attributionLayer.value === '' ? (n.gradCamLayer !== null ? `Grad-CAM at layer ${n.gradCamLayer}, the last rectified maps.` : fallbackNote(n))
      : method.value === 'cam' && n.camNote ? camNote(n) : '';
    attribution.slider.refresh();
  };
  attributionLayer.addEventListener('change', attributionChanged);
  function chooseMethod(chosen) {
    method.value = chosen;
    for (const button of methodButtons) button.setAttribute('aria-pressed', String(button.dataset.method === chosen));
    attributionChanged();
  }

  let networkRequest = null;

  function limitImages() {
    const n = state.network;
    if (!n) return;
    const count = imageSplit.value === 'train' ? n.trainImages : n.testImages;
    imageIndex.max = String(count - 1);
    imageNote.textContent = `of ${count} ${imageSplit.value} images (0–${count - 1})`;
  }

  const section = el('section', { id: 'network-section' }, el('h2', { text: 'Inside the network' }),
    el('p', { class: 'muted', text: 'Every picture is recomputed from the stored weight snapshot of the chosen epoch and kept in a memory cache; no activation is stored.' }),
    kernels.section, decoded.section,
    el('div', { class: 'controls image-chooser' }, el('label', {}, 'The image for the views below: ', imageSplit, ' image ', imageIndex), ' ', imageNote),
    maps.section, attribution.section, probabilities.section);
  return {
    section,
    async update(detail) {
      if (detail.snapshotEpochs.length === 0) {
        section.replaceChildren(el('h2', { text: 'Inside the network' }), el('p', { class: 'muted', text: 'No weight snapshot is stored for this trial yet.' }));
        return;
      }
      if (kernelLayer.options.length === 0 && detail.convLayers.length > 0)
        kernelLayer.replaceChildren(...detail.convLayers.map(l => el('option', { value: l.layer, text: `layer ${l.layer} (${l.shape.join('×')})` })));
      if (detail.convLayers.length === 0) kernels.section.replaceChildren(el('h3', { text: 'Kernels' }), el('p', { class: 'muted', text: 'This model has no conv layer, so it has no kernels to draw.' }));
      if (state.network === null) {
        // One request however many updates arrive while it runs (a live event during the first second), and the
        // choosers filled once: filling them again would put back a layer the reader had already changed.
        networkRequest ??= getJson(`/api/trials/${id}/network`);
        let n;
        try {
          n = await networkRequest;
        } catch (error) {
          networkRequest = null;
          imageNote.textContent = error.message;
          return;
        }
        if (state.network === null) {
          state.network = n;
          mapLayer.replaceChildren(...n.mapLayers.map(l => el('option', { value: l.index, text: `layer ${l.index}: ${l.description} (${l.shape.join('×')})` })));
          if (n.mapLayers.length === 0) maps.section.replaceChildren(el('h3', { text: 'Feature maps' }), el('p', { class: 'muted', text: 'This model has no layer with C×H×W output, so it has no feature maps.' }));
          const fallback = fallbackLayer(n);
          attributionLayer.replaceChildren(el('option', { value: '', text: n.gradCamLayer !== null ? `default (layer ${n.gradCamLayer})` : fallback ? `default (layer ${fallback.index}, signed maps)` : 'default' }),
            ...n.mapLayers.map(l => el('option', { value: l.index, text: `layer ${l.index}: ${l.description}` })));
          targetClass.replaceChildren(el('option', { value: '', text: 'the predicted class' }), ...n.classes.map((c, i) => el('option', { value: i, text: String(i) === c ? c : `${i} (${c})` })));
          limitImages();
        }
      }
      state.firstSnapshot = Math.min(...detail.snapshotEpochs);
      for (const view of views) view.slider.setEpochs(detail.epochs.map(e => e.epoch), detail.snapshotEpochs, detail.bestEpoch);
      decoded.update(detail);
    },
  };
}

/** The misclassified gallery: the images the model gets wrong at the chosen epoch, with their true and predicted class. */
function misclassifiedSection(id) {
  const split = el('select', { id: 'misclassified-split' }, ['test', 'train'].map(s => el('option', { value: s, text: s })));
  const note = el('p', { id: 'misclassified-note' });
  const gallery = el('div', { id: 'misclassified', class: 'gallery' });
  let request = 0;
  async function draw(epoch) {
    const mine = ++request;
    try {
      const m = await getJson(`/api/trials/${id}/misclassified?${query({ split: split.value, epoch })}`);
      if (mine !== request) return;
      // "train" is the dataset's training file, as viz --split train reads it: the trial's validation images, and any
      // beyond its data limit, are among them; the note says so rather than pass them off as what it trained on.
      note.textContent = `${m.wrong} of ${m.images} ${m.split === 'train' ? 'images of the dataset\'s training file (the trial\'s training and validation images, and any beyond its data limit)' : `${m.split} images`} wrong at epoch ${m.epoch}` +
        (m.wrong > m.shown.length ? `; the first ${m.shown.length} by index:` : '');
      gallery.replaceChildren(...m.shown.map(w => el('figure', { 'data-index': w.index, 'data-true': w.true, 'data-predicted': w.predicted },
        el('img', { src: `/api/trials/${id}/image.png?${query({ split: m.split, index: w.index })}`, alt: `${m.split} image ${w.index}`, loading: 'lazy' }),
        el('figcaption', { text: `#${w.index}: ${m.classes[w.true]} → ${m.classes[w.predicted]}` }))));
    } catch (error) {
      if (mine === request) { note.textContent = error.message; gallery.replaceChildren(); }
    }
  }
  const slider = epochSlider('misclassified-', draw, undefined, () => { request++; note.textContent = ''; gallery.replaceChildren(); });
  split.addEventListener('change', () => slider.refresh());
  const section = el('section', { id: 'misclassified-section' }, el('h2', { text: 'Misclassified images' }),
    el('div', { class: 'controls' }, el('label', {}, 'split ', split), ' ', slider.controls),
    el('p', { class: 'muted', text: 'The images the model gets wrong at the chosen epoch, its predictions recomputed from the stored weight snapshot; each captioned true → predicted class.' }),
    note, gallery);
  slider.drawWhenInSight(section);
  return { section, update(detail) { slider.setEpochs(detail.epochs.map(e => e.epoch), detail.snapshotEpochs, detail.bestEpoch); } };
}

/** The trial page's figure sections, in page order, and update(detail), which trialPage calls on every live refresh. */
function trialFigures(id) {
  const parts = [classificationSection(id), healthSection(id), networkSection(id), misclassifiedSection(id)];
  return {
    sections: parts.map(p => p.section),
    update(detail) { for (const part of parts) part.update(detail); },
  };
}
