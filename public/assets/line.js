// The waiting room's page (/line?sale=<id>): joins the sale's line, shows the place, the people ahead and a
// live ETA (events from GET /sales/:id/events, with a read of the line every few seconds as a fallback and
// heartbeat), says so plainly when the line closes, and moves to the sale once admitted (the admission is
// then an HTTP-only cookie the storefront's checkout carries by itself).
import { api, fmtDurationWords, fmtInt, sleep } from './common.js';

const params = new URLSearchParams(location.search);
const saleId = params.get('sale');
const userId = params.get('user_id');
const $ = (id) => document.getElementById(id);
const who = userId ? `user_id=${encodeURIComponent(userId)}` : '';
const linePath = `/sales/${encodeURIComponent(saleId || '')}/line${who ? `?${who}` : ''}`;
// With JWTs the storefront keeps the buyer's token for this tab (account.js): send it along. An event stream
// cannot carry it, so such a page learns its place from the reads below.
const jwt = (() => {
  try {
    return sessionStorage.getItem('flashsale.jwt');
  } catch {
    return null;
  }
})();
const headers = jwt ? { authorization: `Bearer ${jwt}` } : {};
let done = false;
let etaAt = 0;

/** The sale's page, as this buyer (it signs them in, or says what is on). */
function toSalePage() {
  location.assign(`/${userId ? `?user_id=${encodeURIComponent(userId)}` : ''}`);
}

function show(place) {
  if (done) return;
  if (place.status === 'admitted') return admitted();
  if (place.status === 'closed') return closed(place.reason);
  $('line-figures').hidden = false;
  $('line-position').textContent = fmtInt(place.position);
  $('line-ahead').textContent = fmtInt(place.ahead);
  etaAt = Date.now() + place.etaSeconds * 1000;
  $('line-text').textContent = place.ahead === 0 ? 'You’re next.' : 'Buyers ahead of you are being let in at the rate the sale can serve.';
  renderEta();
}

function renderEta() {
  if (done || !etaAt) return;
  const ms = Math.max(0, etaAt - Date.now());
  $('line-eta').textContent = ms < 1000 ? 'any moment' : `about ${fmtDurationWords(ms)}`;
}

async function admitted() {
  if (done) return;
  done = true;
  // Reading the line once more sets the admission cookie, then the sale takes over; unless the line says
  // otherwise now (the sale ended meanwhile).
  const r = await api(linePath, { headers });
  if (r.ok && r.data.status === 'closed') {
    done = false;
    return closed(r.data.reason);
  }
  $('line-title').textContent = 'It’s your turn!';
  $('line-text').textContent = 'Taking you to the sale…';
  $('line-figures').hidden = true;
  document.body.dataset.lineStatus = 'admitted';
  toSalePage();
}

function closed(reason) {
  if (done) return;
  done = true;
  document.body.dataset.lineStatus = 'closed';
  $('line-figures').hidden = true;
  $('line-note').hidden = true;
  $('line-title').textContent = reason === 'sold_out' ? 'Sold out.' : 'The line is closed.';
  $('line-text').textContent =
    reason === 'sold_out'
      ? 'Every item of this sale has been sold, so nobody else will be let in. A new sale opens every hour.'
      : reason === 'ended'
        ? 'This sale has ended. A new sale opens every hour.'
        : 'The shop has closed this line. A new sale opens every hour.';
}

/** Hashcash, when the shop asks for it: find a nonce whose SHA-256 with the challenge starts with `bits` zero bits. */
async function solve(detail) {
  const m = /"([^"]+)<nonce>" starts with (\d+) zero bits/.exec(detail || '');
  if (!m) return null;
  const [, challenge, bitsText] = m;
  const bits = Number(bitsText);
  $('line-text').textContent = 'Proving you’re not a bot (a few seconds)…';
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(challenge + nonce)));
    let zeros = 0;
    for (const byte of digest) {
      if (byte === 0) {
        zeros += 8;
        continue;
      }
      zeros += Math.clz32(byte) - 24;
      break;
    }
    if (zeros >= bits) return nonce;
  }
}

/** The shop's own wait before asking again (Retry-After, in seconds), else a backoff of our own. */
function waitBeforeRetry(r, attempt) {
  const after = Number(r.headers && r.headers.get('retry-after'));
  return after > 0 ? after * 1000 : Math.min(10_000, 1000 * 2 ** attempt);
}

/**
 * Refusals asking again cannot fix: not signed in (401), not allowed (403), no such sale (404), the waiting
 * room off, the buyer's limit used. The sale's page takes over: it signs the buyer in and says what is on.
 */
function hopeless(r) {
  const code = r.problem && r.problem.code;
  if (code === 'line_not_open' && !(r.headers && r.headers.get('retry-after'))) return true;
  if (code === 'user_limit_reached') return true;
  // A proof of work asked again (for the next place) is solved again, never a reason to leave.
  if (code === 'proof_of_work_required') return false;
  return r.status === 401 || r.status === 403 || (r.status === 404 && code !== 'not_in_line');
}

async function join() {
  let pow = null;
  for (let attempt = 0; ; attempt++) {
    const q = [who, pow ? `pow=${pow}` : ''].filter(Boolean).join('&');
    const r = await api(`/sales/${encodeURIComponent(saleId)}/line${q ? `?${q}` : ''}`, { method: 'POST', headers });
    if (r.ok) return show(r.data);
    const code = r.problem && r.problem.code;
    if (code === 'proof_of_work_required') {
      pow = await solve(r.problem.detail);
      if (pow) continue;
      // A challenge this page cannot read: the sale's page, rather than asking again for ever.
      return toSalePage();
    }
    if (hopeless(r)) return toSalePage();
    $('line-text').textContent = (r.problem && r.problem.detail) || 'Could not join the line; retrying…';
    await sleep(waitBeforeRetry(r, attempt));
  }
}

function listen() {
  if (!('EventSource' in window)) return;
  const es = new EventSource(`/sales/${encodeURIComponent(saleId)}/events${who ? `?${who}` : ''}`);
  es.addEventListener('line', (e) => show({ status: 'waiting', ...JSON.parse(e.data) }));
  es.addEventListener('admitted', () => admitted());
  es.addEventListener('line_closed', (e) => closed(JSON.parse(e.data).reason));
  es.addEventListener('sale_sold_out', () => closed('sold_out'));
  es.addEventListener('ended', () => closed('ended'));
}

async function main() {
  if (!saleId) return location.assign('/');
  document.body.dataset.lineStatus = 'waiting';
  await join();
  listen();
  setInterval(renderEta, 1000);
  // A read every few seconds: the heartbeat without events, and the truth if an event was missed.
  while (!done) {
    await sleep(5000);
    const r = await api(linePath, { headers });
    if (r.ok) show(r.data);
    // Dropped from the line (unseen too long, or an admission that ran out): take a place again.
    else if (r.problem && r.problem.code === 'not_in_line') await join();
    else if (hopeless(r)) return toSalePage();
  }
}

main();
