// The gallery's web page: identity cards, a per-camera timeline of the selected identity's
// sightings, search by a dropped image, enrolment and deletion, all through the JSON API
// (docs/openapi.yaml). The access token comes from the address (#token=...) or the form and is
// kept for this tab only; images are fetched with it and shown as blob URLs.
'use strict';

const state = { token: '', selected: null, identities: [] };
const $ = (id) => document.getElementById(id);

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('token')) sessionStorage.setItem('hat-token', params.get('token'));
  state.token = sessionStorage.getItem('hat-token') || '';
  const id = Number(params.get('identity'));
  if (id > 0) state.selected = id;
}

function say(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $('token-form').hidden = false;
    throw new Error('this gallery needs its access token');
  }
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

async function json(path, options) { return (await api(path, options)).json(); }

// An <img> whose picture is fetched with the token.
function image(url, alt) {
  const img = document.createElement('img');
  img.alt = alt;
  img.className = 'thumb';
  if (url) {
    api(url).then((r) => r.blob()).then((b) => { img.src = URL.createObjectURL(b); })
      .catch(() => { img.alt = alt + ' (no picture)'; });
  }
  return img;
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function nameOf(identity) { return identity.label || ('#' + identity.id); }

function card(identity) {
  const c = element('div', 'card');
  c.dataset.id = identity.id;
  if (identity.id === state.selected) c.classList.add('selected');
  c.append(image(identity.thumbnail, nameOf(identity)));
  c.append(element('div', 'name', nameOf(identity)));
  c.append(element('div', 'meta', identity.sightings + (identity.sightings === 1 ? ' sighting · ' : ' sightings · ') +
    (identity.cameras.join(', ') || 'no camera')));
  c.append(element('div', 'meta', 'last seen ' + (identity.last_seen || 'never')));
  const actions = element('div', 'actions');
  const rename = element('button', 'rename', 'Rename');
  rename.type = 'button';
  rename.onclick = async (event) => {
    event.stopPropagation();
    const label = prompt('Name of ' + nameOf(identity), identity.label);
    if (label === null) return;
    try {
      await json('/api/v1/identities/' + identity.id, {
        method: 'PATCH', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ label }) });
      say('renamed ' + nameOf(identity));
      await load();
    } catch (e) { say(e.message, true); }
  };
  const remove = element('button', 'danger delete', 'Delete');
  remove.type = 'button';
  remove.onclick = async (event) => {
    event.stopPropagation();
    if (!confirm('Delete ' + nameOf(identity) + ' and all their sightings?')) return;
    try {
      await json('/api/v1/identities/' + identity.id, { method: 'DELETE' });
      if (state.selected === identity.id) state.selected = null;
      say('deleted ' + nameOf(identity));
      await load();
    } catch (e) { say(e.message, true); }
  };
  actions.append(rename, remove);
  c.append(actions);
  c.onclick = () => select(identity.id);
  return c;
}

async function load() {
  const { identities } = await json('/api/v1/identities');
  state.identities = identities;
  $('count').textContent = '(' + identities.length + ')';
  $('cards').replaceChildren(...identities.map(card));
  if (!identities.some((i) => i.id === state.selected)) {
    state.selected = identities.length ? identities[0].id : null;
  }
  if (state.selected) await select(state.selected);
  else $('timeline').hidden = true;
}

function timeLabel(us) { return new Date(us / 1000).toISOString().replace('.000Z', 'Z'); }

async function select(id) {
  state.selected = id;
  for (const c of document.querySelectorAll('.card')) {
    c.classList.toggle('selected', Number(c.dataset.id) === id);
  }
  const identity = state.identities.find((i) => i.id === id);
  const query = new URLSearchParams();
  if ($('filter-camera').value) query.set('camera', $('filter-camera').value);
  if ($('filter-from').value) query.set('from', $('filter-from').value);
  if ($('filter-to').value) query.set('to', $('filter-to').value);
  let sightings;
  try {
    ({ sightings } = await json('/api/v1/identities/' + id + '/sightings?' + query));
  } catch (e) { say(e.message, true); return; }
  $('timeline').hidden = false;
  $('timeline-title').textContent = 'Timeline of ' + (identity ? nameOf(identity) : '#' + id);
  const cameras = [...new Set(sightings.map((s) => s.camera))].sort();
  const select = $('filter-camera');
  const chosen = select.value;
  select.replaceChildren(element('option', '', 'any'));
  select.firstChild.value = '';
  for (const camera of (identity ? identity.cameras : cameras)) {
    const o = element('option', '', camera);
    o.value = camera;
    select.append(o);
  }
  select.value = chosen;
  const times = sightings.map((s) => s.unix_time_us);
  const first = Math.min(...times), last = Math.max(...times);
  const span = Math.max(last - first, 1);
  const rows = cameras.map((camera) => {
    const row = element('div', 'timeline-row');
    row.dataset.camera = camera;
    row.append(element('span', 'camera', camera));
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 1000 26');
    svg.setAttribute('preserveAspectRatio', 'none');
    for (const s of sightings.filter((x) => x.camera === camera)) {
      const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      dot.setAttribute('cx', String(10 + 980 * (s.unix_time_us - first) / span));
      dot.setAttribute('cy', '13');
      dot.setAttribute('r', '5');
      dot.setAttribute('class', s.enrolled ? 'sighting enrolled' : 'sighting');
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = s.time + ' track ' + s.track;
      dot.append(title);
      svg.append(dot);
    }
    row.append(svg);
    return row;
  });
  const axis = element('div', 'timeline-axis');
  if (sightings.length) axis.append(element('span', '', timeLabel(first)), element('span', '', timeLabel(last)));
  $('timeline-rows').replaceChildren(...rows, axis);
  if (!sightings.length) $('timeline-rows').append(element('p', '', 'no sightings in this range'));
  $('timeline-thumbs').replaceChildren(...sightings.filter((s) => s.thumbnail).slice(0, 24).map((s) => {
    const f = element('figure');
    f.append(image(s.thumbnail, s.camera), element('figcaption', '', s.camera + ' ' + s.time.slice(11, 19)));
    return f;
  }));
}

async function search(file) {
  say('searching...');
  try {
    const form = new FormData();
    form.append('image', file);
    const result = await json('/api/v1/search?top=12', { method: 'POST', body: form });
    $('results').hidden = false;
    $('results-threshold').textContent = '(match below ' + result.threshold.toFixed(3) + ')';
    $('hits').replaceChildren(...result.hits.map((h) => {
      const li = element('li', h.match ? 'hit match' : 'hit');
      li.append(image(h.thumbnail, 'sighting ' + h.sighting));
      li.append(element('div', '', (h.label || '#' + h.identity) + ' · ' + h.distance.toFixed(3)));
      li.append(element('div', '', h.camera + ' ' + h.time));
      li.onclick = () => select(h.identity);
      return li;
    }));
    say(result.hits.length + ' sightings found');
  } catch (e) { say(e.message, true); }
}

function wire() {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) search(e.dataTransfer.files[0]);
  });
  $('search-file').addEventListener('change', (e) => { if (e.target.files.length) search(e.target.files[0]); });
  $('enrol').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData();
    form.append('name', $('enrol-name').value);
    for (const f of $('enrol-files').files) form.append('image', f);
    try {
      const r = await json('/api/v1/identities', { method: 'POST', body: form });
      say('enrolled ' + r.images + ' image(s) of ' + r.label);
      state.selected = r.identity;
      await load();
    } catch (err) { say(err.message, true); }
  });
  $('filter').addEventListener('submit', (e) => { e.preventDefault(); if (state.selected) select(state.selected); });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem('hat-token', state.token);
    $('token-form').hidden = true;
    start();
  });
}

async function start() {
  try {
    const info = await json('/api/v1/info');
    $('info').textContent = info.model + ' · threshold ' + info.threshold.toFixed(3) +
      (info.calibrated ? ' (calibrated)' : '');
    await load();
    say('');
  } catch (e) { say(e.message, true); }
}

readHash();
wire();
start();
