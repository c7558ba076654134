// sign.js: a member's key and statements signed in the browser.
//
// A member's Ed25519 key is made with WebCrypto and kept in this browser's
// IndexedDB as a non-extractable CryptoKey: the page can sign with it but
// can never read it, and it is never sent anywhere. Statements are C2SP
// signed notes (c2sp.org/signed-note), exactly as `sulh submit` makes them:
// the text "sulh-statement/v1\n" + compact JSON + "\n", then a blank line
// and one line per signature, "— <key name> <base64(key id || signature)>",
// where the key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 ||
// public key).
//
// The only way a key's secret leaves the browser is the backup text that
// backupText gives at the moment the key is made, for the member to keep
// offline; after that the stored key cannot be exported.

const DB = 'sulh-keys';
const STORE = 'keys';
const VERSION_LINE = 'sulh-statement/v1';
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
const enc = new TextEncoder();

export function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// validKeyName is the signed-note rule: not empty, no space, no '+'.
export function validKeyName(name) {
  return typeof name === 'string' && name.length > 0 && !/[\s+]/.test(name) && !/[\u0000-\u001f]/.test(name);
}

// keyID is the key's 4-byte id, as a number.
export async function keyID(name, pub) {
  const data = new Uint8Array([...enc.encode(name + '\n'), 0x01, ...pub]);
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return new DataView(h.buffer).getUint32(0);
}

function hex8(n) {
  return n.toString(16).padStart(8, '0');
}

// verifierKey is the key's public form, as `sulh key` prints it and a
// member.enrol statement carries it: name+hash+base64(0x01 || public key).
export async function verifierKey(name, pub) {
  return name + '+' + hex8(await keyID(name, pub)) + '+' + b64(new Uint8Array([0x01, ...pub]));
}

function pkcs8(seed) {
  return new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]);
}

function openDB() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'name' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, f) {
  const db = await openDB();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = f(t.objectStore(STORE));
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

// store keeps the key made from seed under name, non-extractable, and
// returns its record (name, verifier key, public key, CryptoKey).
async function store(name, seed, pub) {
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8(seed), { name: 'Ed25519' }, false, ['sign']);
  const rec = { name, pub, vkey: await verifierKey(name, pub), privateKey, created: new Date().toISOString() };
  await tx('readwrite', s => s.put(rec));
  return rec;
}

// generateKey makes a new key named name and keeps it in this browser. It
// returns the record and the backup text, the key's one exportable form:
// show it to the member once, to keep offline, and then drop it.
export async function generateKey(name) {
  if (!validKeyName(name)) throw new Error('a key name is not empty and has no spaces or "+"');
  if (await loadKey(name)) throw new Error('this browser already holds a key named ' + name);
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const seed = der.slice(der.length - 32);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const rec = await store(name, seed, pub);
  const backup = await backupText(name, seed);
  seed.fill(0);
  der.fill(0);
  return { key: rec, backup };
}

// backupText is a key's private form as `sulh key new` writes it to a file:
// PRIVATE+KEY+name+hash+base64(0x01 || seed).
async function backupText(name, seed) {
  const pair = await crypto.subtle.importKey('pkcs8', pkcs8(seed), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', pair);
  const pub = unb64(jwk.x.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((jwk.x.length + 3) % 4));
  return 'PRIVATE+KEY+' + name + '+' + hex8(await keyID(name, pub)) + '+' + b64(new Uint8Array([0x01, ...seed]));
}

// importKeyText keeps in this browser the key of a backup text or of a key
// file made by `sulh key new` (the demo's keys under sulh-demo/keys/). It
// checks the text's hash against the key it holds.
export async function importKeyText(text) {
  // The key's base64 may itself hold '+': only the first four split.
  const parts = text.trim().split('+');
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') throw new Error('this is not a signed-note private key (PRIVATE+KEY+name+hash+key)');
  const [, , name, hash] = parts;
  const key = parts.slice(4).join('+');
  if (!validKeyName(name)) throw new Error('the key name is not valid');
  let raw;
  try { raw = unb64(key); } catch { throw new Error('the key is not base64'); }
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('this is not an Ed25519 key');
  const seed = raw.slice(1);
  const exportable = await crypto.subtle.importKey('pkcs8', pkcs8(seed), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', exportable);
  const pub = unb64(jwk.x.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((jwk.x.length + 3) % 4));
  if (hex8(await keyID(name, pub)) !== hash.toLowerCase()) throw new Error('the key\'s hash does not match its name and key');
  const rec = await store(name, seed, pub);
  seed.fill(0);
  raw.fill(0);
  return rec;
}

// loadKey is the record of the key named name, or undefined.
export async function loadKey(name) {
  return tx('readonly', s => s.get(name));
}

// listKeys are the records of every key this browser holds.
export async function listKeys() {
  return tx('readonly', s => s.getAll());
}

// deleteKey forgets the key named name in this browser.
export async function deleteKey(name) {
  await tx('readwrite', s => s.delete(name));
}

// sign signs text (which must end with a newline, as a note's text does)
// with the key of rec and returns the signature line.
export async function signatureLine(text, rec) {
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, rec.privateKey, enc.encode(text)));
  const id = await keyID(rec.name, rec.pub);
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, id);
  return '\u2014 ' + rec.name + ' ' + b64(new Uint8Array([...head, ...sig])) + '\n';
}

// noteText is the text of a signed note: everything before the blank line
// that starts its signatures.
export function noteText(note) {
  const i = note.lastIndexOf('\n\n');
  if (i < 0) throw new Error('not a signed note');
  return note.slice(0, i + 1);
}

// signNote signs text with each record's key and returns the signed note.
export async function signNote(text, ...recs) {
  if (!text.endsWith('\n')) throw new Error('a note\'s text ends with a newline');
  if (recs.length === 0) throw new Error('no key to sign with');
  let lines = '';
  for (const rec of recs) lines += await signatureLine(text, rec);
  return text + '\n' + lines;
}

// cosign adds rec's signature to a signed note: how a second mediator
// signs the finding that the first signed.
export async function cosign(note, rec) {
  if (!note.endsWith('\n')) throw new Error('not a signed note');
  return note + await signatureLine(noteText(note), rec);
}

// statementText is the text of a statement object, as `sulh submit`
// signs it.
export function statementText(obj) {
  return VERSION_LINE + '\n' + JSON.stringify(obj) + '\n';
}

// nowUTC is the current time to the second, as statements write times.
export function nowUTC() {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// complete fills in what `sulh submit` fills in: the mechanism (from the
// server), the author (the key's name), the time (now) and no references.
// Fields already given are kept.
export async function complete(obj, rec) {
  const out = { ...obj };
  if (!('mechanism' in out)) {
    const res = await fetch('/api/v1/mechanism', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error('could not ask the server for its mechanism: ' + res.status);
    out.mechanism = (await res.json()).id;
  }
  if (!('author' in out)) out.author = rec.name;
  if (!('at' in out)) out.at = nowUTC();
  if (!('refs' in out)) out.refs = [];
  return out;
}

// submit posts a signed note to the server and returns its answer: the
// receipt, or the error the server gave.
export async function submit(note) {
  const res = await fetch('/api/v1/statements', { method: 'POST', body: note, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  let body;
  try { body = await res.json(); } catch { body = {}; }
  return { ok: res.ok, status: res.status, body };
}
