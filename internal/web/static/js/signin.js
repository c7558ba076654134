// signin.js: sign in with a key this browser holds. The server gives a
// fresh challenge; the browser signs a note naming the purpose, this
// page's origin, the challenge and the time with the member's key (which
// never leaves the browser) and posts it; the server answers with a
// session cookie it alone can read.
import { listKeys, loadKey, signNote, nowUTC } from './sign.js';

const root = document.getElementById('signin');
const form = document.getElementById('signin-form');
const select = document.getElementById('signin-key');
const status = document.getElementById('signin-status');

async function errorOf(res) {
  try { return (await res.json()).error.message; } catch { return String(res.status); }
}

function next() {
  const n = root.dataset.next || '/inbox';
  return n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/\\') ? n : '/inbox';
}

async function fill() {
  const keys = await listKeys();
  select.replaceChildren();
  for (const k of keys.sort((a, b) => a.name.localeCompare(b.name))) {
    const o = document.createElement('option');
    o.value = k.name;
    o.textContent = k.name;
    select.append(o);
  }
  document.getElementById('signin-none').classList.toggle('hidden', keys.length > 0);
  document.getElementById('signin-go').disabled = keys.length === 0;
}

// signIn signs in with the key named name and returns the server's answer.
export async function signIn(name) {
  const rec = await loadKey(name);
  if (!rec) throw new Error('no key named ' + name + ' in this browser');
  const ch = await fetch('/auth/challenge', { method: 'POST' });
  if (!ch.ok) throw new Error(await errorOf(ch));
  const { challenge } = await ch.json();
  const text = 'sulh-signin/v1\n' + location.origin + '\n' + challenge + '\n' + nowUTC() + '\n';
  const note = await signNote(text, rec);
  const res = await fetch('/auth/signin', { method: 'POST', body: note, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  if (!res.ok) throw new Error(await errorOf(res));
  return res.json();
}

form.addEventListener('submit', async e => {
  e.preventDefault();
  status.textContent = root.dataset.working;
  try {
    await signIn(select.value);
    location.assign(next());
  } catch (err) {
    status.textContent = root.dataset.failed + ' ' + err.message;
  }
});

fill();
