// keys.js: the keys this browser holds. Make one (its backup text is shown
// once), import one from a backup or a `sulh key` file, delete one, see
// whether the log knows each, rotate one; and, for an administrator signed
// in, enrol and revoke members of its body. Every statement is shown
// exactly as it will be signed before it is signed here, with the key in
// this browser.
import { generateKey, importKeyText, listKeys, deleteKey, loadKey, complete, statementText, signNote, submit, verifierKey, keyID, b64 } from './sign.js';

const root = document.getElementById('keys');
const t = root.dataset;
const list = document.getElementById('keys-list');
const status = document.getElementById('keys-status');
const result = document.getElementById('result');
const pending = document.getElementById('pending');
const pendingJSON = document.getElementById('pending-json');
let toSign = null; // { obj, recs: [...], after }

function fmt(s, vars) {
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

async function errorOf(res) {
  try { return (await res.json()).error.message; } catch { return String(res.status); }
}

function cell(text, cls) {
  const td = document.createElement('td');
  if (cls) {
    const c = document.createElement(cls);
    c.textContent = text;
    td.append(c);
  } else td.textContent = text;
  return td;
}

function button(label, cls, f) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (cls) b.className = cls;
  b.addEventListener('click', f);
  return b;
}

// standing says what the log knows of a key: unknown, enrolled (body,
// roles), revoked, or rotated to a newer key.
async function standing(rec) {
  const res = await fetch('/api/v1/members/' + encodeURIComponent(rec.name), { headers: { Accept: 'application/json' } });
  if (res.status === 404) return { text: t.unknown, cls: 'status-warn', state: 'unknown' };
  if (!res.ok) return { text: t.failed + ' ' + await errorOf(res), cls: 'status-bad', state: 'error' };
  const m = await res.json();
  if (!m.active) return { text: fmt(t.revoked, { index: m.revoked }), cls: 'status-bad', state: 'revoked' };
  if (m.key !== rec.vkey) return { text: t.rotated, cls: 'status-bad', state: 'rotated' };
  return { text: fmt(t.enrolled, { body: m.body, roles: m.roles.join(', ') || '—' }), cls: 'status-ok', state: 'enrolled' };
}

// rendered counts the renders begun: a render whose keys were read before
// a later render began leaves the list to that later one, so an import or
// a deletion is never undone on the page by a render that read the keys
// before it.
let rendered = 0;

async function render() {
  const mine = ++rendered;
  const keys = (await listKeys()).sort((a, b) => a.name.localeCompare(b.name));
  if (mine !== rendered) return;
  list.replaceChildren();
  if (keys.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(t.none);
    td.colSpan = 4;
    tr.append(td);
    list.append(tr);
  }
  for (const rec of keys) {
    const tr = document.createElement('tr');
    tr.dataset.key = rec.name;
    const st = cell(t.checking);
    st.className = 'standing';
    const actions = document.createElement('td');
    const del = button(t.delete, 'secondary', async () => {
      if (del.dataset.armed !== 'yes') {
        del.dataset.armed = 'yes';
        del.textContent = t.confirm;
        return;
      }
      await deleteKey(rec.name);
      status.textContent = fmt(t.deleted, { name: rec.name });
      render();
    });
    del.classList.add('delete');
    actions.append(del);
    tr.append(cell(rec.name, 'code'), cell(rec.vkey, 'code'), st, actions);
    list.append(tr);
    standing(rec).then(s => {
      st.textContent = s.text;
      st.classList.add(s.cls);
      tr.dataset.standing = s.state;
      if (s.state === 'enrolled') {
        const rot = button(t.rotate, 'secondary rotate', () => prepareRotation(rec));
        actions.prepend(rot, ' ');
      }
    });
  }
}

function showBackup(vkey, backup) {
  document.getElementById('made-vkey').value = vkey;
  document.getElementById('made-backup').value = backup;
  document.getElementById('made').classList.remove('hidden');
}

document.getElementById('made-hide').addEventListener('click', () => {
  document.getElementById('made-backup').value = '';
  document.getElementById('made').classList.add('hidden');
});

document.getElementById('make-form').addEventListener('submit', async e => {
  e.preventDefault();
  const name = document.getElementById('make-name').value.trim();
  try {
    const { key, backup } = await generateKey(name);
    showBackup(key.vkey, backup);
    document.getElementById('make-name').value = '';
    await render();
  } catch (err) {
    status.textContent = t.failed + ' ' + err.message;
  }
});

document.getElementById('import-form').addEventListener('submit', async e => {
  e.preventDefault();
  const file = document.getElementById('import-file');
  const area = document.getElementById('import-text');
  try {
    const text = file.files.length > 0 ? await file.files[0].text() : area.value;
    const rec = await importKeyText(text);
    area.value = '';
    file.value = '';
    status.textContent = fmt(t.imported, { name: rec.name });
    await render();
  } catch (err) {
    status.textContent = t.failed + ' ' + err.message;
  }
});

// propose shows a statement exactly as it will be signed and waits for the
// member to sign it or not.
function propose(obj, recs, after) {
  toSign = { obj, recs, after };
  pendingJSON.textContent = JSON.stringify(obj, null, 2);
  pending.classList.remove('hidden');
  result.textContent = '';
  document.getElementById('pending-sign').focus();
}

document.getElementById('pending-cancel').addEventListener('click', () => {
  toSign = null;
  pending.classList.add('hidden');
});

document.getElementById('pending-sign').addEventListener('click', async () => {
  if (!toSign) return;
  const { obj, recs, after } = toSign;
  toSign = null;
  pending.classList.add('hidden');
  try {
    const note = await signNote(statementText(obj), ...recs);
    const res = await submit(note);
    if (!res.ok) {
      result.textContent = t.failed + ' ' + (res.body.error ? res.body.error.message : res.status);
      return;
    }
    result.textContent = fmt(t.filed, { index: res.body.index });
    if (after) await after();
    await render();
  } catch (err) {
    result.textContent = t.failed + ' ' + err.message;
  }
});

// adminKey is the signed-in administrator's key, which must be in this
// browser.
async function adminKey() {
  const rec = t.member && await loadKey(t.member);
  if (!rec) throw new Error(fmt(t.nokey, { name: t.member || '' }));
  return rec;
}

const enrol = document.getElementById('enrol-form');
if (enrol) {
  enrol.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const rec = await adminKey();
      const roles = document.getElementById('enrol-roles').value.split(/[\s,]+/).filter(r => r !== '');
      const obj = await complete({
        kind: 'member.enrol', body: enrol.dataset.body, key: document.getElementById('enrol-key').value.trim(),
        roles, label: document.getElementById('enrol-label').value,
      }, rec);
      propose(obj, [rec], async () => enrol.reset());
    } catch (err) {
      result.textContent = t.failed + ' ' + err.message;
    }
  });
}

const revoke = document.getElementById('revoke-form');
if (revoke) {
  revoke.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const rec = await adminKey();
      const obj = await complete({
        kind: 'member.revoke', member: document.getElementById('revoke-member').value.trim(),
        reason: document.getElementById('revoke-reason').value,
      }, rec);
      propose(obj, [rec], async () => revoke.reset());
    } catch (err) {
      result.textContent = t.failed + ' ' + err.message;
    }
  });
}

function hex8(n) {
  return n.toString(16).padStart(8, '0');
}

// prepareRotation makes a new key for rec's member, to replace rec: the
// key.rotate statement is signed by the old key and the new one, which
// proves its holder has it. Once the log has it, the new key replaces the
// old in this browser and its backup text is shown, once.
async function prepareRotation(rec) {
  try {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const vkey = await verifierKey(rec.name, pub);
    const fresh = { name: rec.name, pub, privateKey: pair.privateKey };
    const obj = await complete({ kind: 'key.rotate', member: rec.name, key: vkey }, rec);
    propose(obj, [rec, fresh], async () => {
      const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
      const seed = der.slice(der.length - 32);
      const backup = 'PRIVATE+KEY+' + rec.name + '+' + hex8(await keyID(rec.name, pub)) + '+' + b64(new Uint8Array([0x01, ...seed]));
      await importKeyText(backup);
      seed.fill(0);
      der.fill(0);
      showBackup(vkey, backup);
      status.textContent = fmt(t.rotatedDone, { name: rec.name });
    });
  } catch (err) {
    result.textContent = t.failed + ' ' + err.message;
  }
}

render();
