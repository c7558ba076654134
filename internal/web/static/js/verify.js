// verify.js checks, in the reader's browser and without trusting the
// server, that a statement is in the log: it fetches the latest checkpoint
// (c2sp.org/tlog-checkpoint) and checks its Ed25519 signature against the
// log's verifier key, takes the statement's bytes from the log's entry
// bundle, computes its RFC 6962 leaf hash, builds its inclusion proof from
// the log's tiles (c2sp.org/tlog-tiles) and checks it against the
// checkpoint's root (RFC 9162 section 2.1.3.2), and checks the checkpoint's
// witness cosignatures (c2sp.org/tlog-cosignature) whose keys it is given.
// It uses nothing but WebCrypto (SHA-256, Ed25519) and this file.
(() => {
  'use strict';

  const enc = new TextEncoder();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const maxSafe = Number.MAX_SAFE_INTEGER;

  // VerifyError is a failed check: id names its message in the page's
  // catalogue, args fill the message's {names}.
  class VerifyError extends Error {
    constructor(id, args) {
      super(id + ' ' + JSON.stringify(args || {}));
      this.id = id;
      this.args = args || {};
    }
  }

  function b64decode(s) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error('not base64');
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  // leafHash is RFC 6962's hash of an entry: SHA-256(0x00 || entry).
  function leafHash(entry) {
    return sha256(concat(Uint8Array.of(0), entry));
  }

  // nodeHash is RFC 6962's hash of an interior node.
  function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
  }

  async function ed25519Verify(pub, msg, sig) {
    if (sig.length !== 64) return false;
    const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    return crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
  }

  // parseKey parses a c2sp.org/signed-note verifier key,
  // name+keyid+base64(type || public key), with type 0x01 (Ed25519) or
  // 0x04 (cosignature/v1), and checks that its key id is the first four
  // bytes of SHA-256(name || "\n" || type || public key).
  async function parseKey(vkey) {
    const text = vkey.trim();
    const bad = new VerifyError('key-bad', { key: text });
    const i = text.indexOf('+');
    const j = text.indexOf('+', i + 1);
    if (i < 1 || j !== i + 9) throw bad;
    const name = text.slice(0, i);
    const id = text.slice(i + 1, j);
    if (/\s/.test(name) || !/^[0-9a-f]{8}$/.test(id)) throw bad;
    let raw;
    try {
      raw = b64decode(text.slice(j + 1));
    } catch {
      throw bad;
    }
    if (raw.length !== 33 || (raw[0] !== 0x01 && raw[0] !== 0x04)) throw bad;
    const sum = await sha256(concat(enc.encode(name + '\n'), raw));
    if (hex(sum.slice(0, 4)) !== id) throw bad;
    return { name, id, type: raw[0], pub: raw.slice(1), text };
  }

  // parseNote splits a signed note into its text (up to and with the
  // newline before the blank line) and its signature lines, each with its
  // name, key id and signature bytes.
  function parseNote(bytes) {
    let s;
    try {
      s = utf8.decode(bytes);
    } catch {
      throw new VerifyError('cp-malformed', {});
    }
    const i = s.lastIndexOf('\n\n');
    if (i < 0 || !s.endsWith('\n')) throw new VerifyError('cp-malformed', {});
    const text = s.slice(0, i + 1);
    const sigs = [];
    for (const line of s.slice(i + 2, -1).split('\n')) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new VerifyError('cp-malformed', {});
      let sig;
      try {
        sig = b64decode(m[2]);
      } catch {
        throw new VerifyError('cp-malformed', {});
      }
      if (sig.length < 5) throw new VerifyError('cp-malformed', {});
      sigs.push({ name: m[1], id: hex(sig.slice(0, 4)), sig: sig.slice(4) });
    }
    return { text, sigs };
  }

  // parseCheckpoint reads a c2sp.org/tlog-checkpoint's text: origin, tree
  // size, root hash, then any extension lines.
  function parseCheckpoint(text) {
    const lines = text.split('\n');
    if (lines.length < 4 || lines[lines.length - 1] !== '' || lines[0] === '') throw new VerifyError('cp-malformed', {});
    if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1]) || Number(lines[1]) > maxSafe) throw new VerifyError('cp-malformed', {});
    let root;
    try {
      root = b64decode(lines[2]);
    } catch {
      throw new VerifyError('cp-malformed', {});
    }
    if (root.length !== 32) throw new VerifyError('cp-malformed', {});
    return { origin: lines[0], size: Number(lines[1]), root };
  }

  // tilePath is a c2sp.org/tlog-tiles path: level -1 is the entry bundles.
  function tilePath(level, n, width) {
    const parts = [];
    do {
      parts.unshift(String(n % 1000).padStart(3, '0'));
      n = Math.floor(n / 1000);
    } while (n > 0);
    const p = parts.map((x, i) => (i < parts.length - 1 ? 'x' + x : x)).join('/');
    return 'tile/' + (level < 0 ? 'entries' : String(level)) + '/' + p + (width < 256 ? '.p/' + width : '');
  }

  function isPow2(n) {
    return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
  }

  // below is the largest power of two less than n, for n > 1.
  function below(n) {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  // Tiles reads the tiles of a tree of a given size from base (the log's
  // URL, ending in /). Nothing it reads is trusted: a proof built from
  // them either leads to the signed root or fails.
  class Tiles {
    constructor(base, size) {
      this.base = base;
      this.size = size;
      this.cache = new Map();
    }

    // width is how many hashes (or entries) tile n of level holds in the
    // tree, or 0 if the tree has none there.
    width(level, n) {
      const avail = Math.floor(this.size / 256 ** Math.max(level, 0));
      const full = Math.floor(avail / 256);
      if (n < full) return 256;
      return n === full ? avail % 256 : 0;
    }

    fetch(level, n) {
      const w = this.width(level, n);
      const path = tilePath(level, n, w);
      if (!this.cache.has(path)) {
        this.cache.set(path, (async () => {
          const url = this.base + path;
          let resp;
          try {
            resp = await fetch(url, { cache: w === 256 ? 'default' : 'no-store' });
          } catch (e) {
            throw new VerifyError('fetch', { url, status: String(e) });
          }
          if (!resp.ok) throw new VerifyError('fetch', { url, status: String(resp.status) });
          const b = new Uint8Array(await resp.arrayBuffer());
          if (level >= 0 && b.length !== w * 32) throw new VerifyError('fetch', { url, status: 'length ' + b.length });
          return b;
        })());
      }
      return this.cache.get(path);
    }

    // entry is the entry at index, from its entry bundle.
    async entry(index) {
      const n = Math.floor(index / 256);
      const b = await this.fetch(-1, n);
      let at = 0;
      for (let k = 0; at + 2 <= b.length; k++) {
        const len = (b[at] << 8) | b[at + 1];
        if (at + 2 + len > b.length) break;
        if (k === index % 256) return b.slice(at + 2, at + 2 + len);
        at += 2 + len;
      }
      throw new VerifyError('entry-missing', { index: String(index) });
    }

    // subtree is the hash of the complete subtree of height h whose
    // leaves are [i·2^h, (i+1)·2^h): tiles keep the hashes of every eighth
    // level, and the levels between are computed.
    async subtree(h, i) {
      const level = Math.floor(h / 8);
      const r = h - 8 * level;
      const start = i * 2 ** r;
      const t = await this.fetch(level, Math.floor(start / 256));
      const off = start % 256;
      let row = [];
      for (let k = 0; k < 2 ** r; k++) row.push(t.slice((off + k) * 32, (off + k + 1) * 32));
      while (row.length > 1) {
        const next = [];
        for (let k = 0; k < row.length; k += 2) next.push(await nodeHash(row[k], row[k + 1]));
        row = next;
      }
      return row[0];
    }

    // range is the Merkle tree hash of the leaves [lo, hi) (RFC 9162's
    // MTH), from the complete subtrees that make it up.
    async range(lo, hi) {
      const n = hi - lo;
      if (isPow2(n) && lo % n === 0) return this.subtree(Math.round(Math.log2(n)), lo / n);
      const k = below(n);
      return nodeHash(await this.range(lo, lo + k), await this.range(lo + k, hi));
    }

    // inclusionProof is RFC 9162's PATH(m, D[lo:hi]), leaf first.
    async inclusionProof(m, lo = 0, hi = this.size) {
      const n = hi - lo;
      if (n <= 1) return [];
      const k = below(n);
      if (m < k) return [...(await this.inclusionProof(m, lo, lo + k)), await this.range(lo + k, hi)];
      return [...(await this.inclusionProof(m - k, lo + k, hi)), await this.range(lo, lo + k)];
    }
  }

  // rootFromInclusionProof runs RFC 9162 section 2.1.3.2: the root that
  // the proof leads to from the leaf hash at index in a tree of size, or
  // null when the proof does not fit the tree.
  async function rootFromInclusionProof(index, size, leaf, proof) {
    if (index >= size) return null;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // verifyCosignature checks a witness's signature line on checkpoint text
  // with its key: a cosignature/v1 (8-byte time, then the signature of
  // "cosignature/v1\ntime T\n" and the text) or a plain Ed25519 note
  // signature.
  async function verifyCosignature(key, sig, text) {
    if (key.type === 0x01) return ed25519Verify(key.pub, enc.encode(text), sig);
    if (sig.length !== 8 + 64) return false;
    const dv = new DataView(sig.buffer, sig.byteOffset, 8);
    const t = dv.getBigUint64(0);
    return ed25519Verify(key.pub, enc.encode('cosignature/v1\ntime ' + t.toString() + '\n' + text), sig.slice(8));
  }

  async function fetchBytes(url) {
    let resp;
    try {
      resp = await fetch(url, { cache: 'no-store' });
    } catch (e) {
      throw new VerifyError('fetch', { url, status: String(e) });
    }
    if (!resp.ok) throw new VerifyError('fetch', { url, status: String(resp.status) });
    return new Uint8Array(await resp.arrayBuffer());
  }

  // verify checks statement index against the log at base with the log
  // key vkey and the witness keys given, and reports each step to step(ok,
  // id, args). It returns normally when every check passed and throws a
  // VerifyError at the first that failed.
  async function verify(opts) {
    const { base, index, vkey, witnessKeys = [], quorum = 0, shown, step = () => {} } = opts;
    if (!window.crypto || !crypto.subtle) throw new VerifyError('no-crypto', { error: 'no crypto.subtle' });
    const key = await parseKey(vkey);
    if (key.type !== 0x01) throw new VerifyError('key-bad', { key: vkey });
    const witnesses = [];
    for (const w of witnessKeys) witnesses.push(await parseKey(w));

    // The checkpoint, signed by the log's key.
    const note = parseNote(await fetchBytes(base + 'checkpoint'));
    const cp = parseCheckpoint(note.text);
    const mine = note.sigs.filter((s) => s.name === key.name && s.id === key.id);
    if (mine.length === 0) throw new VerifyError('cp-nosig', { key: key.text });
    let signed = false;
    for (const s of mine) signed = signed || (await ed25519Verify(key.pub, enc.encode(note.text), s.sig));
    if (!signed) throw new VerifyError('cp-badsig', { key: key.text });
    if (cp.origin !== key.name) throw new VerifyError('cp-origin', { origin: cp.origin, name: key.name });
    step(true, 'cp-ok', { size: cp.size, root: b64encode(cp.root), key: key.text });
    if (index >= cp.size) throw new VerifyError('cp-small', { size: cp.size, index });

    // The entry, as the log holds it, and the text the page shows.
    const tiles = new Tiles(base, cp.size);
    const entry = await tiles.entry(index);
    if (shown !== undefined) {
      let text = null;
      try {
        text = utf8.decode(entry);
      } catch {
        text = null;
      }
      if (text !== shown) throw new VerifyError('entry-differs', { index });
      step(true, 'entry-ok', { index });
    }
    const leaf = await leafHash(entry);
    step(true, 'leaf', { leaf: b64encode(leaf) });

    // Its inclusion proof, from the tiles, to the signed root.
    const proof = await tiles.inclusionProof(index);
    const root = await rootFromInclusionProof(index, cp.size, leaf, proof);
    if (root === null || !equal(root, cp.root)) throw new VerifyError('proof-bad', { index, size: cp.size });
    step(true, 'proof-ok', { index, size: cp.size, hashes: proof.length });

    // The cosignatures whose keys are known, and at least quorum of them.
    let cosigned = 0;
    for (const s of note.sigs) {
      if (s.name === key.name && s.id === key.id) continue;
      const w = witnesses.find((k) => k.name === s.name && k.id === s.id);
      if (!w) {
        step(null, 'cosig-unknown', { name: s.name, id: s.id });
        continue;
      }
      if (!(await verifyCosignature(w, s.sig, note.text))) throw new VerifyError('cosig-bad', { name: s.name, key: w.text });
      step(true, 'cosig-ok', { name: s.name });
      cosigned++;
    }
    if (cosigned < quorum) throw new VerifyError('cosig-quorum', { have: cosigned, need: quorum });
    return { size: cp.size, root: cp.root, leaf, proof };
  }

  // crossCheck gives what the browser computes for index from the tiles of
  // the tree of size, base64-encoded, for tests to hold against Go's
  // golang.org/x/mod/sumdb/tlog.
  async function crossCheck(index, size, base = '/log/') {
    const tiles = new Tiles(base, size);
    const entry = await tiles.entry(index);
    const leaf = await leafHash(entry);
    const proof = await tiles.inclusionProof(index);
    const root = await rootFromInclusionProof(index, size, leaf, proof);
    return { leaf: b64encode(leaf), proof: proof.map(b64encode), root: root ? b64encode(root) : '' };
  }

  window.sulhVerify = { verify, crossCheck, parseKey, parseNote, parseCheckpoint, leafHash, tilePath, rootFromInclusionProof, VerifyError };

  // The page's button.
  function start() {
    const section = document.getElementById('verify');
    const button = document.getElementById('verify-button');
    if (!section || !button) return;
    const out = document.getElementById('verify-result');
    const nf = new Intl.NumberFormat(document.documentElement.lang || 'en');
    const msg = (id, args) => {
      const name = 'm' + id.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase());
      const t = section.dataset[name] || id;
      return t.replace(/\{(\w+)\}/g, (_, k) => (typeof args[k] === 'number' ? nf.format(args[k]) : String(args[k] ?? '')));
    };
    button.addEventListener('click', async () => {
      out.replaceChildren();
      const list = document.createElement('ul');
      list.className = 'checks';
      const head = document.createElement('p');
      head.className = 'verdict';
      head.textContent = msg('verifying', {});
      out.append(head, list);
      const add = (ok, id, args) => {
        const li = document.createElement('li');
        li.className = ok === true ? 'status-ok' : ok === false ? 'status-bad' : 'status-warn';
        li.dataset.check = id;
        li.textContent = (ok === true ? '\u2713 ' : ok === false ? '\u2717 ' : '\u2013 ') + msg(id, args);
        list.append(li);
      };
      const pasted = document.getElementById('trusted-key').value.trim();
      const vkey = pasted || section.dataset.key;
      add(null, pasted ? 'key-pasted' : 'key-page', { key: vkey });
      const witnessKeys = document.getElementById('witness-keys').value.split('\n').map((s) => s.trim()).filter(Boolean);
      button.disabled = true;
      try {
        await verify({
          base: new URL('/log/', location.href).href,
          index: Number(section.dataset.index),
          vkey,
          witnessKeys,
          quorum: Number(document.getElementById('witness-quorum').value) || 0,
          shown: document.getElementById('entry-text').textContent,
          step: add,
        });
        head.textContent = msg('verified', {});
        head.className = 'verdict status-ok';
        out.dataset.result = 'verified';
      } catch (e) {
        const id = e instanceof VerifyError ? e.id : 'no-crypto';
        const args = e instanceof VerifyError ? e.args : { error: String(e) };
        add(false, id, args);
        head.textContent = msg('failed', {}) + ' ' + msg(id, args);
        head.className = 'verdict status-bad';
        out.dataset.result = 'failed';
        out.dataset.reason = id;
      } finally {
        button.disabled = false;
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
