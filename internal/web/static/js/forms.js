// forms.js: the forms that file statements signed in this browser.
//
// A form's fields name where their value goes in the statement
// (data-path="event.time", data-type="int|num|time|list|ints|lines|json|set"); rows of
// a list of objects sit in a [data-rows] element. readForm reads them into
// the kind's JSON exactly as docs/statements.md writes it, leaving out what
// is empty. The member previews the whole text that will be signed (after
// sign.js's complete: mechanism, author, at, refs), confirms it, and only
// that text is signed, with a key this browser holds, and submitted. A
// form changed after its preview is not signed: the member previews again.
// A statement that a quorum signs (a finding, an endorsement) is signed by
// the first signer here and handed over as a signed note; the co-signer
// opens it at /file/cosign, sees its text and who signed it (each
// signature checked here against the members' keys), co-signs and submits.
// Nothing of a key's secret is ever read or sent: sign.js keeps it
// non-extractable in IndexedDB.

import * as sign from './sign.js';

const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => [...r.querySelectorAll(s)];
const strings = $('#sf-strings') ? $('#sf-strings').dataset : {};
const KEY_CHOICE = 'sulh-forms-key';

// msg is an interface string of the page, with {name} fields filled in.
function msg(id, vars = {}) {
  let s = strings[id] || id;
  for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
  return s;
}

function num(n) {
  try { return new Intl.NumberFormat(document.documentElement.lang).format(n); } catch { return String(n); }
}

// setPath sets obj's field at a dotted path, making the objects on the way.
export function setPath(obj, path, v) {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null || Array.isArray(o[p])) o[p] = {};
    o = o[p];
  }
  o[parts[parts.length - 1]] = v;
}

// readValue is a field's value as its data-type says, or undefined when it
// is empty. A value that is not what the type wants is kept as written, so
// that the server's refusal names it.
export function readValue(el) {
  const type = el.dataset.type || 'text';
  const raw = el.value;
  if (raw.trim() === '') return undefined;
  switch (type) {
    case 'int':
      return /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
    case 'num': {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw;
    }
    case 'time': {
      const t = raw.trim();
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(t)) return t + ':00Z';
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/.test(t)) return t + 'Z';
      return t;
    }
    case 'list':
      return raw.split(/[\s,]+/).filter(Boolean);
    case 'lines':
      // One item a line, such as names that hold spaces and commas.
      return raw.split('\n').map(x => x.trim()).filter(Boolean);
    case 'ints':
      // Whole numbers, such as case ids; one that is not is kept as
      // written, for the server to name.
      return raw.split(/[\s,]+/).filter(Boolean).map(x => (/^-?\d+$/.test(x) ? Number(x) : x));
    case 'json':
      try { return JSON.parse(raw); } catch { return raw; }
    default:
      return raw.trim();
  }
}

// skipped: a field that is disabled or in a hidden part of the form is not
// part of the statement.
function skipped(el) {
  return el.matches(':disabled') || el.closest('[hidden]') !== null;
}

function readFields(root, fields, obj) {
  for (const el of fields) {
    if (skipped(el)) continue;
    if (el.dataset.type === 'set') {
      if (!el.checked) continue;
      const path = el.dataset.path;
      const cur = path.split('.').reduce((o, p) => (o ? o[p] : undefined), obj);
      if (Array.isArray(cur)) cur.push(el.value);
      else setPath(obj, path, [el.value]);
      continue;
    }
    const v = readValue(el);
    if (v !== undefined) setPath(obj, el.dataset.path, v);
  }
  return obj;
}

// prune leaves out empty objects and lists.
function prune(v) {
  if (Array.isArray(v)) return v.map(prune).filter(x => x !== undefined);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === undefined) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      if (Array.isArray(p) && p.length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

// readForm is the statement's fields as the form holds them now.
export function readForm(form) {
  const obj = { kind: form.dataset.kind };
  readFields(form, $$('[data-path]', form).filter(el => !el.closest('[data-rows]')), obj);
  for (const box of $$('[data-rows]', form)) {
    if (skipped(box)) continue;
    const rows = $$('[data-row]', box).map(row => prune(readFields(row, $$('[data-path]', row), {})))
      .filter(o => Object.keys(o).length > 0);
    if (rows.length) setPath(obj, box.dataset.rows, rows);
  }
  const fix = fixes[obj.kind];
  if (fix) fix(obj);
  return prune(obj);
}

// fixes adjust a kind's fields where the form's shape is not the JSON's.
const fixes = {
  reply(obj) {
    // One of the four stances every rules version knows is a position;
    // several, or a stance of rules 3, are positions.
    const p = obj.positions;
    if (Array.isArray(p) && p.length === 1 && ['denies', 'accepts', 'partly_accepts', 'no_comment'].includes(p[0])) {
      obj.position = p[0];
      delete obj.positions;
    }
  },
};

// ordered puts the fields every statement has first, as the docs write
// them.
function ordered(full) {
  const { mechanism, kind, author, at, refs, ...rest } = full;
  return { mechanism, kind, author, at, refs, ...rest };
}

// --- who signs -----------------------------------------------------------

let mechanismInfo;
async function mechanismJSON() {
  if (!mechanismInfo) {
    const res = await fetch('/api/v1/mechanism', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('GET /api/v1/mechanism: ' + res.status);
    mechanismInfo = await res.json();
  }
  return mechanismInfo;
}

let memberList;
// members are every member the server lists, with the rulebook's
// administrators, each with its body and verifier key.
async function members() {
  if (memberList) return memberList;
  const out = [];
  let before = '';
  for (let i = 0; i < 200; i++) {
    const res = await fetch('/api/v1/members?limit=500' + before, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('GET /api/v1/members: ' + res.status);
    const page = await res.json();
    out.push(...page.items);
    if (page.next === null || page.next === undefined || page.items.length === 0) break;
    before = '&before=' + page.next;
  }
  const rb = (await mechanismJSON()).rulebook;
  for (const b of rb.bodies) {
    for (const vkey of b.administrators) {
      const name = vkey.split('+')[0];
      if (!out.some(m => m.name === name)) out.push({ name, body: b.id, key: vkey, active: 1 });
    }
  }
  memberList = out;
  return out;
}

// memberOf is the active member whose current key is rec's, or undefined.
async function memberOf(rec) {
  return (await members()).find(m => m.name === rec.name && m.key === rec.vkey && m.active === 1);
}

function bodyName(id) {
  const b = mechanismInfo && mechanismInfo.rulebook.bodies.find(x => x.id === id);
  return b ? b.name : id;
}

// setupKeys fills the key menu with this browser's keys and calls onChoice
// with the chosen key's record and member (undefined if none is).
async function setupKeys(onChoice) {
  const select = $('#sf-key');
  const info = $('#sf-member');
  if (!select) return;
  let keys = [];
  try { keys = await sign.listKeys(); } catch { keys = []; }
  keys.sort((a, b) => a.name.localeCompare(b.name));
  await mechanismJSON();
  const byName = {};
  for (const rec of keys) {
    const m = await memberOf(rec);
    byName[rec.name] = { rec, member: m };
    const o = document.createElement('option');
    o.value = rec.name;
    o.textContent = m ? rec.name + ' · ' + bodyName(m.body) : rec.name;
    select.append(o);
  }
  const remembered = localStorage.getItem(KEY_CHOICE);
  if (remembered && byName[remembered]) select.value = remembered;
  const choose = () => {
    const c = byName[select.value];
    if (!c) {
      info.textContent = msg('nokeys');
      onChoice(undefined, undefined);
      return;
    }
    localStorage.setItem(KEY_CHOICE, select.value);
    info.textContent = c.member ? '' : msg('notmember');
    onChoice(c.rec, c.member);
  };
  select.addEventListener('change', choose);
  choose();
}

async function chosenKey() {
  const name = $('#sf-key') && $('#sf-key').value;
  return name ? sign.loadKey(name) : undefined;
}

// --- results and refusals ----------------------------------------------

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function clearProblems() {
  for (const p of $$('.sf-problem')) p.remove();
  for (const f of $$('[aria-invalid]')) f.removeAttribute('aria-invalid');
  const g = $('#sf-problems-general');
  if (g) { g.hidden = true; g.textContent = ''; }
}

// splitProblems finds, in a refusal's message, the problem of each field
// the form has: the server lists every field's problem at once, each
// starting with the field's path ("report: 2 problems: summary: is
// required. event.precision: …").
export function splitProblems(message, kind, known) {
  let m = message.replace(/^invalid [a-z.]+ statement: /, '');
  if (m.startsWith(kind + ': ')) m = m.slice(kind.length + 2);
  m = m.replace(/^\d+ problems: /, '');
  const starts = [];
  const re = /(^|\. )([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): /g;
  let x;
  while ((x = re.exec(m)) !== null) {
    const path = x[2].replace(/\[\d+\]/g, '');
    let field;
    for (const k of known) {
      if ((path === k || path.startsWith(k + '.')) && (!field || k.length > field.length)) field = k;
    }
    if (field) starts.push({ at: x.index + x[1].length, field });
  }
  const out = [];
  starts.forEach((s, i) => {
    let end = i + 1 < starts.length ? starts[i + 1].at : m.length;
    let text = m.slice(s.at, end).replace(/\.\s*$/, '');
    out.push({ field: s.field, text });
  });
  return out;
}

function showProblems(form, message) {
  clearProblems();
  const g = $('#sf-problems-general');
  if (g) { g.hidden = false; g.textContent = msg('refused') + ' ' + message; }
  if (!form) { const r = $('#sf-refusal-message'); if (r) r.scrollIntoView({ block: 'center' }); return; }
  const known = $$('[data-for]', form).map(e => e.dataset.for);
  let first;
  for (const p of splitProblems(message, form.dataset.kind, known)) {
    const box = $$('[data-for]', form).find(e => e.dataset.for === p.field && !e.closest('[hidden]'));
    if (!box) continue;
    const note = el('p', p.text, { class: 'sf-problem status-bad', id: 'problem-' + p.field.replace(/\./g, '-') });
    box.append(note);
    for (const f of $$('input, select, textarea', box)) {
      f.setAttribute('aria-invalid', 'true');
      f.setAttribute('aria-describedby', note.id);
    }
    first = first || box;
  }
  if (first || g) (first || g).scrollIntoView({ block: 'center' });
}

// showResult shows the server's answer: the receipt with links to the case
// and the log entry, or the refusal.
function showResult(res, obj, text, form) {
  const out = $('#sf-result');
  out.replaceChildren();
  if (res.ok) {
    clearProblems();
    const index = res.body.index;
    out.className = 'sf-receipt';
    out.append(el('h2', msg('filed', { index: num(index) }), { tabindex: '-1', id: 'sf-receipt-h' }));
    const links = el('p');
    const c = obj.kind === 'report' ? (obj.case ?? index) : obj.case;
    if (typeof c === 'number') {
      links.append(el('a', msg('caselink', { case: num(c) }), { href: '/cases/' + c, id: 'sf-case-link' }), ' · ');
    }
    links.append(el('a', msg('entrylink', { index: num(index) }), { href: '/explore/' + index, id: 'sf-entry-link' }));
    out.append(links);
    out.append(el('pre', text, { class: 'sf-text', dir: 'ltr', id: 'sf-filed' }));
    out.dataset.index = String(index);
    $('#sf-receipt-h').focus();
    return;
  }
  out.className = 'sf-refusal';
  const e = (res.body && res.body.error) || {};
  const message = e.message || msg('failed') + ' ' + res.status;
  out.append(el('p', msg('refused') + ' (' + (e.code || res.status) + ')', { class: 'status-bad' }));
  out.append(el('p', message, { id: 'sf-refusal-message' }));
  showProblems(form, message);
}

// --- a form --------------------------------------------------------------

function setupForm(form) {
  const kind = form.dataset.kind;
  const allowed = (form.dataset.bodies || '').split(' ').filter(Boolean);
  const signers = Number(form.dataset.signers || '1');
  const types = JSON.parse(form.dataset.types || '{}');
  const review = $('#sf-review');
  const fields = $('#sf-fields');
  let previewed = null;

  const invalidate = () => {
    if (previewed) {
      previewed = null;
      review.hidden = true;
      $('#sf-text').textContent = '';
    }
  };
  form.addEventListener('input', invalidate);
  form.addEventListener('change', invalidate);
  form.addEventListener('submit', e => e.preventDefault());

  setupKeys((rec, member) => {
    invalidate();
    const note = $('#sf-notallowed');
    if (!rec) { fields.hidden = true; note.hidden = true; return; }
    if (member && !allowed.includes(member.body)) {
      note.textContent = msg('notallowed');
      note.hidden = false;
      fields.hidden = true;
      return;
    }
    note.hidden = true;
    fields.hidden = false;
    if (member) adapt(kind, member.body, types[member.body]);
  });

  $('#sf-preview').addEventListener('click', async () => {
    clearProblems();
    $('#sf-result').replaceChildren();
    const rec = await chosenKey();
    if (!rec) { $('#sf-member').textContent = msg('nokeys'); return; }
    const fieldsNow = readForm(form);
    const text = sign.statementText(ordered(await sign.complete(fieldsNow, rec)));
    previewed = { fields: JSON.stringify(fieldsNow), text, key: rec.name };
    $('#sf-text').textContent = text;
    $('#sf-confirm').checked = false;
    review.hidden = false;
    $('#sf-review-h').setAttribute('tabindex', '-1');
    $('#sf-review-h').focus();
  });

  $('#sf-edit').addEventListener('click', () => { invalidate(); $('#sf-preview').focus(); });

  $('#sf-sign').addEventListener('click', async () => {
    const out = $('#sf-result');
    out.replaceChildren();
    if (!previewed) return;
    if (!$('#sf-confirm').checked) { out.append(el('p', msg('confirm'), { class: 'status-bad' })); return; }
    // Sign only what was shown: the form, the shown text and the key must
    // be as they were at the preview.
    const now = JSON.stringify(readForm(form));
    if (now !== previewed.fields || $('#sf-text').textContent !== previewed.text || $('#sf-key').value !== previewed.key) {
      invalidate();
      out.append(el('p', msg('changed'), { class: 'status-bad', id: 'sf-changed' }));
      return;
    }
    const { text, key } = previewed;
    const rec = await sign.loadKey(key);
    const note = await sign.signNote(text, rec);
    if (signers > 1) {
      handOver(note, 1, signers);
      return;
    }
    const res = await sign.submit(note);
    showResult(res, JSON.parse(text.split('\n')[1]), text, form);
    if (res.ok) { invalidate(); }
  });

  setupKind(form, kind);
}

// handOver shows a note that still needs co-signatures, to be given to
// the next signer as text or as a file.
function handOver(note, have, need) {
  const box = $('#sf-handover');
  $('#sf-note').value = note;
  const a = $('#sf-download');
  if (a.dataset.url) URL.revokeObjectURL(a.dataset.url);
  a.dataset.url = URL.createObjectURL(new Blob([note], { type: 'text/plain;charset=utf-8' }));
  a.href = a.dataset.url;
  const out = $('#sf-result');
  out.replaceChildren(el('p', msg('awaiting', { have: num(have), need: num(need) }), { id: 'sf-awaiting' }));
  box.hidden = false;
  $('#sf-note').focus();
}

// adapt offers what the chosen member's body may say.
function adapt(kind, body, type) {
  if (kind === 'report') {
    const ok = { party: ['party'], mediator: ['mediator', 'monitor', 'public', 'ngo', 'un'], monitor: ['monitor', 'public', 'ngo', 'un'] }[type] || [];
    const ch = $('#f-channel');
    for (const o of ch.options) { o.hidden = !ok.includes(o.value); o.disabled = o.hidden; }
    if (!ok.includes(ch.value) && ok.length) ch.value = ok[0];
    for (const o of $('#f-accused').options) { o.hidden = o.value === body; o.disabled = o.hidden; }
    if ($('#f-accused').value === body) $('#f-accused').value = '';
    ch.dispatchEvent(new Event('change'));
  }
  if (kind === 'crossing.status' && type === 'party') {
    const side = $('#f-side');
    for (const o of side.options) { o.hidden = o.value !== '' && o.value !== body; o.disabled = o.hidden; }
    side.value = body;
  }
}

// showWhen shows box only while test holds for the select's value.
function showWhen(select, box, test) {
  const f = () => { box.hidden = !test(select.value); };
  select.addEventListener('change', f);
  f();
}

function setupKind(form, kind) {
  if ($('#f-case')) setupCase(form, kind);
  for (const s of $$('.sf-search', form)) setupSearch(s);
  if (kind === 'report') {
    showWhen($('#f-channel'), $('#f-source-box'), v => ['public', 'ngo', 'un'].includes(v));
    const et = $('#f-event-type');
    const sub = $('#f-sub-event-type');
    const filter = () => {
      for (const o of sub.options) { o.hidden = o.value !== '' && o.dataset.parent !== et.value; o.disabled = o.hidden; }
      if (sub.selectedOptions[0] && sub.selectedOptions[0].hidden) sub.value = '';
    };
    et.addEventListener('change', filter);
    filter();
    const rows = $('#f-sides');
    const add = () => {
      const row = $('#f-side-row').content.firstElementChild.cloneNode(true);
      row.querySelector('.sf-remove').addEventListener('click', () => { row.remove(); form.dispatchEvent(new Event('change')); });
      rows.append(row);
      return row;
    };
    $('#f-add-side').addEventListener('click', () => { add().querySelector('select').focus(); });
    setupUpload();
    setupMap();
  }
  if (kind === 'publication') setupFetch();
  if (kind === 'evidence') {
    // Registering a file, or a later step of its custody, which carries
    // the hash and the step only.
    const mode = () => {
      const custody = $('#f-evmode').value === 'custody';
      $('#f-ev-register').hidden = custody; $('#f-ev-register').disabled = custody;
      $('#f-ev-upload').hidden = custody;
    };
    $('#f-evmode').addEventListener('change', mode);
    mode();
    setupUpload();
  }
  if (kind === 'actor') setupActor();
  if (kind === 'actor.claim') listActors();
  if (kind === 'case.link') showWhen($('#f-relation'), $('#f-stands-box'), v => v === 'duplicate');
  if (kind === 'finding') showWhen($('#f-outcome'), $('#f-party-box'), v => v !== 'not_attributable');
  if (kind === 'crossing.status') showWhen($('#f-status'), $('#f-allowed-box'), v => v === 'restricted');
  if (kind === 'action') {
    const mode = () => {
      const verify = $('#f-mode-verify').checked;
      $('#f-own').hidden = verify; $('#f-own').disabled = verify;
      $('#f-verify').hidden = !verify; $('#f-verify').disabled = !verify;
    };
    for (const r of $$('input[name="mode"]', form)) r.addEventListener('change', mode);
    mode();
  }
}

// setupCase shows the case's stage, and fills what follows from it: the
// next stage of the workflow for an advance, the latest finding for an
// endorsement.
function setupCase(form, kind) {
  const input = $('#f-case');
  const info = $('#f-case-info');
  const stages = JSON.parse(form.dataset.stages || '[]');
  const load = async () => {
    if (info) info.textContent = '';
    if (kind === 'case.advance') $('#f-to').value = '';
    const id = input.value.trim();
    if (!/^\d+$/.test(id) || kind === 'report') return;
    const res = await fetch('/api/v1/cases/' + id, { headers: { Accept: 'application/json' } });
    if (!res.ok) { if (info) info.textContent = msg('nocase'); return; }
    const c = await res.json();
    const i = stages.findIndex(s => s.id === c.stage);
    const stage = i >= 0 ? stages[i].name : c.stage;
    if (info) info.textContent = msg('stage', { stage });
    if (kind === 'case.advance') {
      if (i < 0 || i + 1 >= stages.length) info.textContent += ' ' + msg('laststage');
      else $('#f-to').value = stages[i + 1].id;
    }
    if (kind === 'endorsement') {
      const f = $('#f-finding');
      if (typeof c.finding === 'number') f.value = String(c.finding);
      else info.textContent += ' ' + msg('nofinding');
    }
    if (kind === 'case.link' || kind === 'case.unlink') await showLinks(id);
    if (kind === 'penalty') {
      // A penalty attaches to the case's endorsed finding, against the
      // party it attributes the violation to.
      if (typeof c.endorsed === 'number' && typeof c.finding === 'number') {
        $('#f-finding').value = String(c.finding);
        if (c.party) $('#f-party').value = c.party;
      } else info.textContent += ' ' + msg('notendorsed');
    }
    form.dispatchEvent(new Event('change'));
  };
  input.addEventListener('change', load);
  if (input.value) load();
}

// showLinks lists the links that stand between case id and others, so
// that a member linking or unlinking it sees what is there already.
async function showLinks(id) {
  const box = $('#f-links');
  box.replaceChildren();
  const res = await fetch('/api/v1/links?limit=100&case=' + id, { headers: { Accept: 'application/json' } });
  if (!res.ok) return;
  const items = (await res.json()).items.filter(l => l.unlinked === null || l.unlinked === undefined);
  if (!items.length) { box.textContent = msg('nolinks'); return; }
  const ul = el('ul');
  for (const l of items) {
    const other = l.case_id === Number(id) ? l.other : l.case_id;
    const name = $('#f-relnames').content.querySelector('[data-v="' + l.relation + '"]');
    ul.append(el('li', msg('linked', { case: num(other), relation: name ? name.textContent : l.relation })));
  }
  box.append(ul);
}

// setupActor reads the registry's entry of the actor id given: an actor
// statement with the id of one registered amends it, replacing its type,
// names, aliases and labels, so the form starts from what is there.
function setupActor() {
  const input = $('#f-id');
  const info = $('#f-actor-info');
  input.addEventListener('change', async () => {
    info.textContent = '';
    const id = input.value.trim();
    if (!id) return;
    const res = await fetch('/api/v1/actors/' + encodeURIComponent(id), { headers: { Accept: 'application/json' } });
    if (!res.ok) { info.textContent = msg('newactor'); return; }
    const a = await res.json();
    info.textContent = msg('amendactor', { body: bodyName(a.body) });
    setValue('#f-atype', a.type);
    for (const f of $$('[data-path^="names."], [data-path^="labels."]')) {
      const [map, key] = f.dataset.path.split('.');
      f.value = (a[map] && a[map][key]) || '';
    }
    setValue('#f-aliases', (a.aliases || []).join('\n'));
    setValue('#f-note', a.note);
    $('#sf-form').dispatchEvent(new Event('change'));
  });
}

// listActors offers the registry's actors for an actor.claim.
async function listActors() {
  const res = await fetch('/api/v1/actor_registry?limit=500', { headers: { Accept: 'application/json' } });
  if (!res.ok) return;
  const list = $('#f-actors');
  for (const a of (await res.json()).items) {
    const name = (a.names && (a.names[document.documentElement.lang] || a.names.en)) || a.id;
    list.append(el('option', name, { value: a.id }));
  }
}

// setupSearch finds places (or crossings) by any of their names, ranked
// by the server, with how far each is from the mechanism's area.
function setupSearch(box) {
  const q = $('input[type="search"]', box);
  const list = $('.sf-results', box);
  const target = box.dataset.target;
  const run = async () => {
    list.replaceChildren();
    const text = q.value.trim();
    if (!text) return;
    const url = '/api/v1/places?limit=8&q=' + encodeURIComponent(text) + (target === 'crossing' ? '&crossing=true' : '');
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = res.ok ? await res.json() : { items: [] };
    if (!body.items.length) { list.append(el('li', msg('noplaces'))); return; }
    for (const p of body.items) {
      const b = el('button', undefined, { type: 'button', class: 'sf-place', 'data-id': p.id });
      b.append(el('bdi', p.name));
      const where = [p.admin2, p.admin1, p.country].filter(Boolean).join(', ');
      b.append(' · ', el('bdi', where));
      if (typeof p.distance_km === 'number') b.append(' · ' + msg('distance', { km: num(p.distance_km) }));
      if (p.match !== 'exact') b.append(' · ', el('bdi', p.matched));
      b.addEventListener('click', () => choosePlace(target, p));
      const li = el('li');
      li.append(b);
      list.append(li);
    }
  };
  box.querySelector('.sf-search-go').addEventListener('click', run);
  q.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); run(); } });
}

function setValue(sel, v) {
  const f = $(sel);
  if (f) f.value = v === undefined || v === null ? '' : String(v);
}

function choosePlace(target, p) {
  if (target === 'crossing') {
    setValue('#f-crossing-id', p.id);
    setValue('#f-crossing-name', p.name);
  } else {
    setValue('#f-place-id', p.id);
    setValue('#f-place-name', p.name);
    setValue('#f-place-lat', p.lat);
    setValue('#f-place-lon', p.lon);
    setValue('#f-place-gp', p.geo_precision);
    setValue('#f-place-admin', p.admin && p.admin.length ? JSON.stringify(p.admin) : '');
    mapMark();
  }
  $('#sf-form').dispatchEvent(new Event('change'));
}

// --- the map picker ------------------------------------------------------

let map, marker;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error('could not load ' + src));
    document.head.append(s);
  });
}

// mapMark shows the place's coordinates on the map, if it is open.
function mapMark() {
  if (!map) return;
  const lat = Number($('#f-place-lat').value), lon = Number($('#f-place-lon').value);
  if (!$('#f-place-lat').value || !Number.isFinite(lat) || !Number.isFinite(lon)) return;
  if (marker) marker.setLatLng([lat, lon]);
  else marker = window.L.circleMarker([lat, lon], { radius: 7, color: '#a61b1b' }).addTo(map);
}

// setupMap loads Leaflet and the offline basemap (Natural Earth's
// countries, from world-atlas) when the member opens the map, and sets the
// place's coordinates where the member clicks.
function setupMap() {
  const box = $('#f-map-box');
  if (!box) return;
  box.addEventListener('toggle', async () => {
    if (!box.open || map) return;
    try {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = box.dataset.leafletcss;
      document.head.append(css);
      await loadScript(box.dataset.leaflet);
      await loadScript(box.dataset.topojson);
      const world = await (await fetch(box.dataset.atlas)).json();
      const L = window.L;
      map = L.map('f-map', { attributionControl: false, keyboard: true });
      L.geoJSON(window.topojson.feature(world, world.objects.countries), {
        style: { color: '#6b6b6b', weight: 1, fillColor: '#f3f1ea', fillOpacity: 1 },
      }).addTo(map);
      map.fitBounds([[29.0, 60.5], [37.5, 75.0]]);
      map.on('click', e => {
        setValue('#f-place-lat', e.latlng.lat.toFixed(5));
        setValue('#f-place-lon', e.latlng.lng.toFixed(5));
        // A point of one's own is not the gazetteer's place.
        setValue('#f-place-id', '');
        setValue('#f-place-admin', '');
        mapMark();
        $('#sf-form').dispatchEvent(new Event('change'));
      });
      mapMark();
    } catch (err) {
      $('#f-map').textContent = msg('mapfailed') + ' ' + err.message;
    }
  });
}

// --- evidence ------------------------------------------------------------

// uploadEvidence sends a file to POST /api/v1/evidence with the member's
// session (its cookie, and the CSRF token the page carries in
// <meta name="csrf-token">), reporting progress as it goes; it resolves to
// {ok, status, body}, body being the server's answer (the file's sha256)
// or its error. headers adds request headers (an API client's
// Authorization, say).
export function uploadEvidence(file, { onProgress, headers = {} } = {}) {
  return new Promise(resolve => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/evidence?name=' + encodeURIComponent(file.name));
    xhr.withCredentials = true;
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) xhr.setRequestHeader('X-CSRF-Token', meta.content);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener('progress', e => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { body = {}; }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, body });
    });
    xhr.addEventListener('error', () => resolve({ ok: false, status: 0, body: {} }));
    xhr.send(file);
  });
}

// register fills in the evidence form what the upload tells of the file:
// its hash, size, media type and name, and the capture time its metadata
// gives, which the member may correct before the preview.
function register(file, up) {
  setValue('#f-sha256', up.sha256);
  setValue('#f-size', up.size || file.size);
  setValue('#f-media-type', up.media_type || file.type);
  setValue('#f-name', up.name || file.name);
  const t = localTime(up.captured);
  if (t && !$('#f-captured-time').value) {
    setValue('#f-captured-time', t);
    setValue('#f-captured-precision', 'exact');
  }
  $('#sf-form').dispatchEvent(new Event('change'));
}

// addEvidence cites a hash in the form's evidence list, once.
function addEvidence(hash) {
  const f = $('#f-evidence');
  const list = f.value.split(/[\s,]+/).filter(Boolean);
  if (!list.includes(hash)) list.push(hash);
  f.value = list.join('\n');
  $('#sf-form').dispatchEvent(new Event('change'));
}

function setupUpload() {
  const button = $('#f-upload');
  if (!button) return;
  const bar = $('#f-progress');
  const status = $('#f-upload-status');
  button.addEventListener('click', async () => {
    const file = $('#f-file').files[0];
    if (!file) { $('#f-file').focus(); return; }
    bar.hidden = false;
    bar.value = 0;
    status.className = 'sub';
    status.textContent = msg('uploading');
    const res = await uploadEvidence(file, {
      onProgress: (loaded, total) => { bar.value = Math.round(100 * loaded / total); },
    });
    if (res.ok && res.body.sha256) {
      bar.value = 100;
      status.textContent = msg('uploaded', { hash: res.body.sha256 });
      if ($('#f-evidence')) addEvidence(res.body.sha256);
      else register(file, res.body);
      return;
    }
    bar.hidden = true;
    status.className = 'status-bad';
    const e = res.body.error || {};
    status.textContent = (res.status === 401 ? msg('nosession') + ' ' : '') + msg('uploadfailed', { status: res.status }) + (e.message ? ' ' + e.message : '');
  });
}

// --- a published report ------------------------------------------------

// hex is bytes in lower-case hexadecimal.
function hex(buf) {
  return [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('');
}

// localTime is an RFC 3339 UTC time as a datetime-local field holds it.
function localTime(t) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?)(\.\d+)?Z$/.exec(t || '');
  return m ? m[1] : '';
}

// setupFetch fetches the report at the address given, as any reader
// would, and fills in its SHA-256 and size from its bytes, and its period
// from the headers sulh's reports carry (X-Period-From, X-Period-To). The
// member may instead type them in; either way the preview shows what is
// signed. An address on another site is fetched only if that site allows
// it (CORS); otherwise the member pastes the values.
function setupFetch() {
  const status = $('#f-fetch-status');
  $('#f-fetch').addEventListener('click', async () => {
    const url = $('#f-url').value.trim();
    if (!url) { $('#f-url').focus(); return; }
    status.className = 'sub';
    status.textContent = msg('fetching');
    try {
      const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      const body = await res.arrayBuffer();
      setValue('#f-sha256', hex(await crypto.subtle.digest('SHA-256', body)));
      setValue('#f-size', body.byteLength);
      const from = localTime(res.headers.get('X-Period-From'));
      const to = localTime(res.headers.get('X-Period-To'));
      if (from) setValue('#f-period-from', from);
      if (to) setValue('#f-period-to', to);
      status.textContent = msg('fetched', { size: num(body.byteLength) });
    } catch (err) {
      status.className = 'status-bad';
      status.textContent = msg('fetchfailed') + ' ' + err.message;
    }
    $('#sf-form').dispatchEvent(new Event('change'));
  });
}

// --- co-signing ----------------------------------------------------------

// parseNote splits a signed note into its text and its signatures.
export function parseNote(note) {
  const text = sign.noteText(note);
  const lines = note.slice(text.length + 1).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (!text.startsWith('sulh-statement/v1\n') || lines.length === 0) throw new Error('not a signed statement');
  const sigs = lines.map(l => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l);
    if (!m) throw new Error('not a signature line');
    return { name: m[1], sig: sign.unb64(m[2]) };
  });
  return { text, sigs, statement: JSON.parse(text.split('\n')[1]) };
}

// verifySig checks one signature of text against the verifier key vkey.
async function verifySig(text, s, vkey) {
  // name+hash+base64(0x01 || key), whose base64 may hold '+' itself.
  const parts = vkey.split('+');
  if (parts.length < 3 || parts[0] !== s.name) return false;
  const raw = sign.unb64(parts.slice(2).join('+'));
  if (raw.length !== 33 || raw[0] !== 1 || s.sig.length !== 68) return false;
  const pub = raw.slice(1);
  const id = await sign.keyID(s.name, pub);
  if (new DataView(s.sig.buffer, s.sig.byteOffset).getUint32(0) !== id) return false;
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, s.sig.slice(4), new TextEncoder().encode(text));
}

function setupCosign(form) {
  const quorums = JSON.parse(form.dataset.quorums || '{}');
  const review = $('#cs-review');
  let read = null;
  const invalidate = () => { read = null; review.hidden = true; };
  $('#cs-note').addEventListener('input', invalidate);
  form.addEventListener('submit', e => e.preventDefault());
  setupKeys(() => {});
  $('#cs-file').addEventListener('change', async () => {
    const f = $('#cs-file').files[0];
    if (f) { $('#cs-note').value = await f.text(); invalidate(); }
  });
  $('#cs-read').addEventListener('click', async () => {
    invalidate();
    const out = $('#sf-result');
    out.replaceChildren();
    const note = $('#cs-note').value.replace(/\r\n/g, '\n');
    let parsed;
    try { parsed = parseNote(note); } catch { out.append(el('p', msg('badnote'), { class: 'status-bad', id: 'cs-bad' })); return; }
    const all = await members();
    const list = $('#cs-signers');
    list.replaceChildren();
    let good = true;
    for (const s of parsed.sigs) {
      const m = all.find(x => x.name === s.name && x.active === 1);
      const ok = m ? await verifySig(parsed.text, s, m.key) : false;
      good = good && ok;
      list.append(el('li', ok ? msg('goodsig', { name: s.name, body: bodyName(m.body) }) : msg('badsig', { name: s.name }), { class: ok ? 'status-ok' : 'status-bad' }));
    }
    $('#cs-text').textContent = parsed.text;
    review.hidden = false;
    if (!good) {
      $('#cs-sign').hidden = true;
      out.append(el('p', msg('badnote'), { class: 'status-bad', id: 'cs-bad' }));
      return;
    }
    $('#cs-sign').hidden = false;
    $('#cs-confirm').checked = false;
    read = { note, parsed };
  });
  $('#cs-sign').addEventListener('click', async () => {
    const out = $('#sf-result');
    out.replaceChildren();
    if (!read) return;
    if (!$('#cs-confirm').checked) { out.append(el('p', msg('confirm'), { class: 'status-bad' })); return; }
    // Co-sign only the note that was read and shown, unchanged.
    if ($('#cs-note').value.replace(/\r\n/g, '\n') !== read.note || $('#cs-text').textContent !== read.parsed.text) {
      invalidate();
      out.append(el('p', msg('changed'), { class: 'status-bad', id: 'sf-changed' }));
      return;
    }
    const rec = await chosenKey();
    if (!rec) { $('#sf-member').textContent = msg('nokeys'); return; }
    const note = await sign.cosign(read.note, rec);
    const have = read.parsed.sigs.length + 1;
    const q = quorums[read.parsed.statement.kind];
    const need = q ? q.signers : 1;
    if (have < need) { handOver(note, have, need); return; }
    const res = await sign.submit(note);
    showResult(res, read.parsed.statement, read.parsed.text, null);
    if (res.ok) invalidate();
  });
}

// --- the index of forms --------------------------------------------------

function setupIndex() {
  const items = $$('#sf-kinds li[data-bodies]');
  setupKeys((rec, member) => {
    let shown = 0;
    for (const li of items) {
      li.hidden = !member || !li.dataset.bodies.split(' ').includes(member.body);
      if (!li.hidden) shown++;
    }
    $('#sf-none').hidden = shown > 0 || !rec;
  });
}

if ($('#sf-form')) setupForm($('#sf-form'));
else if ($('#sf-cosign')) setupCosign($('#sf-cosign'));
else if ($('#sf-kinds')) setupIndex();
