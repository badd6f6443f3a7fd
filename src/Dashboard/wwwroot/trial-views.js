// The trial page's decoded filters (seed 003) and the frame that shows a large picture at its own size. Uses el() and
// getJson() from dashboard.js and epochSlider(), figureImage() and query() from trial-figures.js, both loaded first;
// networkSection() there places decodedFiltersSection() under "Inside the network".
'use strict';

document.head.append(el('link', { rel: 'stylesheet', href: '/assets/trial-views.css' }));

/**
 * Puts a picture into a frame that scrolls, so it is shown at its natural size instead of being shrunk to the page's
 * width: a feature-map grid of many channels is wider than the page, and shrunk its labels could not be read.
 */
function naturalSizeFrame(image) {
  const frame = el('div', { class: 'natural-size' });
  image.replaceWith(frame);
  frame.append(image);
  image.classList.add('natural');
  return frame;
}

/** Resolves once the picture has loaded or failed to (at once if it already has). */
function settled(image) {
  if (image.complete) return Promise.resolve();
  return new Promise(resolve => {
    const done = () => { image.removeEventListener('load', done); image.removeEventListener('error', done); resolve(); };
    image.addEventListener('load', done);
    image.addEventListener('error', done);
  });
}

/**
 * Decoded filters (003): for a chosen layer and epoch, every filter decoded into image space (or its thresholded view),
 * the layer's reconstruction MSE, and a chosen filter's top-activating test images, each drawn by the code viz decode
 * runs with its defaults, asked for once the view has been scrolled into sight. update(detail) sets every recorded
 * epoch and those with a weight snapshot.
 */
function decodedFiltersSection(id) {
  const layer = el('select', { id: 'decode-layer' });
  const thresholded = el('input', { id: 'decode-thresholded', type: 'checkbox' });
  const filter = el('select', { id: 'decode-filter' });
  const errorNote = el('p', { id: 'decode-error-note' });
  const grid = figureImage('decode-filters', 'decoded filters of the chosen layer at the chosen epoch');
  const top = figureImage('decode-top', 'top-activating test images of the chosen filter');
  const topList = el('ul', { id: 'decode-top-list', class: 'decode-top-list' });
  // Decoding runs the first 1,000 test images through the network, so nothing is asked until the view is scrolled to.
  let layers = null, decoding = null, request = 0;

  const address = (what, epoch, extra) => `/api/trials/${id}/decode/${what}?${query({ layer: layer.value, ...extra, epoch })}`;

  /** The chosen filter's top images as the decoding ranked them, strongest first, each captioned with its class and score (activation or correlation) by name. */
  function listTop() {
    const d = decoding;
    const f = d && d.filters[Number(filter.value)];
    if (!f) { topList.replaceChildren(); return; }
    const item = (ranking, images) => el('li', { 'data-ranking': ranking }, el('span', { class: 'muted', text: ranking === 'network' ? 'by the network\'s response: ' : 'by the decoded filter: ' }),
      // By the network the score is the filter's response; by the decoded filter it is the image's correlation with
      // the decoded filter (seed 003, Fig. 4 d), another scale, so it is named as such.
      images.map((t, i) => el('span', { class: 'top-image', 'data-index': t.index,
        text: `${i ? ', ' : ''}#${t.index} (class ${d.classes[t.label]} · ${ranking === 'network' ? 'activation' : 'correlation'} ${t.activation.toPrecision(4)})` })));
    topList.replaceChildren(item('network', f.byNetwork), item('decoded', f.byDecodedFilter));
  }

  function showTop(epoch) {
    if (filter.value !== '') top.show(address('top.png', epoch, { filter: filter.value }));
    listTop();
  }

  async function draw(epoch) {
    if (!layer.value) return;
    grid.show(address('filters.png', epoch, { thresholded: thresholded.checked ? 'true' : null }));
    const mine = ++request;
    try {
      // The numbers (the first 1,000 test images through the network) are asked for once the grid is in: asked for at
      // once, their work took both cores while the grid was being drawn, and the picture came late.
      await settled(grid.image);
      if (mine !== request) return;
      const d = await getJson(`/api/trials/${id}/decode?${query({ layer: layer.value, epoch })}`);
      if (mine !== request) return;
      const count = d.decodedShape[0];
      if (filter.options.length !== count) {
        const chosen = Math.min(Number(filter.value || 0), count - 1);
        filter.replaceChildren(...Array.from({ length: count }, (_, k) => el('option', { value: k, text: `filter ${k}` })));
        filter.value = String(chosen);
      }
      decoding = d;
      errorNote.textContent = `Reconstruction MSE (003, eq. 3) of layer ${d.layer} at epoch ${d.epoch}: ${d.error}`;
      errorNote.dataset.mean = String(d.errorMean);
      showTop(epoch);
    } catch (error) {
      if (mine === request) { errorNote.textContent = error.message; decoding = null; topList.replaceChildren(); }
    }
  }

  // An epoch without a weight snapshot has nothing to decode: the slider says so and names the nearest stored epochs,
  // as the other views' sliders do, and the pictures and numbers of another epoch are taken away.
  const slider = epochSlider('decode-', draw, undefined, () => {
    request++;
    grid.clear();
    top.clear();
    decoding = null;
    errorNote.textContent = '';
    delete errorNote.dataset.mean;
    topList.replaceChildren();
  });
  layer.addEventListener('change', () => { filter.replaceChildren(); slider.refresh(); });
  thresholded.addEventListener('change', () => slider.refresh());
  filter.addEventListener('change', () => showTop(slider.epoch()));
  const section = el('section', { class: 'view', id: 'decode-view' }, el('h3', { text: 'Decoded filters' }),
    el('div', { class: 'controls' }, el('label', {}, 'layer ', layer), ' ', el('label', {}, thresholded, ' thresholded views'), ' · ', slider.controls),
    el('p', { class: 'muted', text: 'Every filter of the chosen layer carried down to pixel space through the layers below it (003\'s decoding by substitution, bicubic unpooling), from the epoch\'s weight snapshot, as viz decode draws it. The reconstruction MSE compares the layer\'s response to the first 1,000 test images with those images correlated with the decoded filters; 003 defines it for the whole layer.' }),
    errorNote, grid.error, naturalSizeFrame(grid.image),
    el('div', { class: 'controls' }, el('label', {}, 'top-activating test images of ', filter)),
    topList, top.error, top.image);
  slider.drawWhenInSight(section);

  return {
    section,
    async update(detail) {
      if (layers === null) {
        try {
          layers = await getJson(`/api/trials/${id}/decode/layers`);
        } catch (error) {
          errorNote.textContent = error.message;
          return;
        }
        if (layers.length === 0) {
          section.replaceChildren(el('h3', { text: 'Decoded filters' }), el('p', { class: 'muted', text: 'This model has no conv or linear layer whose filters decode into image space.' }));
          return;
        }
        layer.replaceChildren(...layers.map(l => el('option', { value: l.index, text: `layer ${l.index}: ${l.description} (${l.filters} filters)` })));
        // The first layer's decoded filters are its own kernels (shown above); the next one is the first that decoding reveals.
        layer.value = String(layers[Math.min(1, layers.length - 1)].index);
      }
      slider.setEpochs(detail.epochs.map(e => e.epoch), detail.snapshotEpochs, detail.bestEpoch);
    },
  };
}
