// The auditors' console: talks to the audit API with the auditor's key and checks what it gets back
// with verify.js. Everything from the API reaches the page as text nodes or attributes, never as HTML.
import { openCheckpoint, parseVerifierKey, fromBase64, verifyBundle, verifyConsistency, verdictOf } from './verify.js';

// The API key is a secret: per tab, gone when the tab closes, never in a URL. The pinned log key is
// public, so it may outlive the tab.
const API_KEY_ITEM = 'lgsp-audit-api-key';
const PINNED_KEY_ITEM = 'lgsp-audit-pinned-key';
const PAGE_SIZE = 100;
const GROWTH_ROWS = 20;
const MAX_CHECKPOINT_PAGES = 20;

const $ = (id) => document.getElementById(id);
const state = { key: undefined, latest: undefined, checkpoints: [], next: null, query: '', opening: 0, blobUrl: undefined };

/** An element with attributes and children; strings become text nodes. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, String(value));
  node.append(...children.filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

function setStatus(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', isError);
}

const localTime = (iso) => (iso ? new Date(iso).toLocaleString('vi-VN', { hour12: false }) : '—');

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, as = 'json') {
  const apiKey = sessionStorage.getItem(API_KEY_ITEM);
  if (!apiKey) throw new ApiError(401, 'Chưa nhập khóa API / no API key entered');
  const response = await fetch(path, { headers: { 'x-api-key': apiKey }, cache: 'no-store', credentials: 'omit' });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) setStatus('access-status', 'Khóa API bị từ chối / the API key was refused', true);
    throw new ApiError(response.status, `${response.status} ${problem.detail ?? problem.title ?? response.statusText}`);
  }
  if (as === 'bytes') return new Uint8Array(await response.arrayBuffer());
  return as === 'text' ? response.text() : response.json();
}

// --- the log key ---------------------------------------------------------------------------------

function showKeyAlert(text, loud) {
  const alert = $('key-alert');
  alert.hidden = !text;
  alert.textContent = text;
  alert.classList.toggle('note', !loud);
}

async function loadLogKey() {
  const served = await api('/v1/audit/log-key');
  $('served-key').textContent = served.verifierKey;
  const pinned = localStorage.getItem(PINNED_KEY_ITEM);
  $('pinned-key').value = pinned ?? '';
  const parsed = await parseVerifierKey(pinned ?? served.verifierKey);
  state.key = parsed.key;
  $('active-key').textContent = parsed.key ? `${parsed.key.text}${pinned ? ' (ghim / pinned)' : ''}` : '—';
  if (parsed.error) showKeyAlert(`KHÓA KHÔNG DÙNG ĐƯỢC / UNUSABLE KEY: ${parsed.error}`, true);
  else if (pinned && pinned.trim() !== served.verifierKey.trim())
    showKeyAlert('CẢNH BÁO: KHÓA DO CỔNG CUNG CẤP KHÁC KHÓA ĐÃ GHIM. Mọi kiểm tra dùng khóa đã ghim. / WARNING: THE GATEWAY SERVES ANOTHER KEY THAN THE PINNED ONE. Every check uses the pinned key.', true);
  else if (!pinned) showKeyAlert('Chưa ghim khóa: đang dùng khóa do chính cổng cung cấp. Hãy ghim khóa nhận từ nguồn độc lập. / Not pinned: checking with the key the gateway itself serves; pin one obtained independently.', false);
  else showKeyAlert('', false);
}

// --- checkpoints ---------------------------------------------------------------------------------

async function loadCheckpoints() {
  const note = await api('/v1/audit/checkpoint', 'text');
  const opened = state.key ? await openCheckpoint(note, state.key) : { ok: false, reason: 'không có khóa / no key', signers: [] };
  state.latest = opened;
  $('cp-signature').replaceChildren(mark(opened.ok ? 'ok' : 'fail'), ` ${opened.reason}`);
  $('cp-size').textContent = opened.size >= 0 ? String(opened.size) : '—';
  $('cp-root').textContent = opened.root ? note.split('\n')[2] : '—';
  const cosigners = opened.signers.filter((s) => !state.key || s.name !== state.key.name).map((s) => s.name);
  $('cp-witnesses').textContent = cosigners.length ? `${cosigners.join(', ')} (chữ ký nhân chứng chưa kiểm tra ở đây / cosignatures not checked here)` : 'chưa có / none';

  const kept = [];
  let after = 0;
  for (let page = 0; page < MAX_CHECKPOINT_PAGES; page++) {
    const { checkpoints } = await api(`/v1/audit/checkpoints?after=${after}&limit=1000`);
    kept.push(...checkpoints);
    if (checkpoints.length < 1000) break;
    after = checkpoints.at(-1).treeSize;
  }
  state.checkpoints = kept;
  $('cp-time').textContent = localTime(kept.find((c) => c.treeSize === opened.size)?.createdAt);
  drawGrowth(kept);
  const rows = kept.slice(-GROWTH_ROWS).reverse();
  $('growth').tBodies[0].replaceChildren(
    ...rows.map((c) =>
      el('tr', { 'data-size': c.treeSize }, el('td', {}, c.treeSize), el('td', { title: c.createdAt }, localTime(c.createdAt)), el('td', { class: 'hash' }, c.rootHash), el('td', {}, c.witnesses.join(', ') || '—'), el('td', { class: 'consistency' }, '—')),
    ),
  );
  setStatus('growth-status', `${kept.length} checkpoint được lưu / kept checkpoints${kept.length >= MAX_CHECKPOINT_PAGES * 1000 ? ' (chỉ phần đầu / first part only)' : ''}`);
}

/** Tree size over time, as an SVG line (attributes only: the CSP allows no inline style). */
function drawGrowth(kept) {
  const chart = $('growth-chart');
  if (kept.length === 0) {
    chart.replaceChildren(el('p', { class: 'status' }, 'Chưa có checkpoint / no checkpoint yet'));
    return;
  }
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  const [width, height, pad] = [800, 160, 24];
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const times = kept.map((c) => Date.parse(c.createdAt));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const maxSize = Math.max(...kept.map((c) => c.treeSize));
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
  const y = (s) => height - pad - (s / Math.max(1, maxSize)) * (height - 2 * pad);
  // Downsampled to about one point per pixel; the shape is what matters here.
  const step = Math.max(1, Math.floor(kept.length / width));
  const points = kept.filter((_, i) => i % step === 0 || i === kept.length - 1).map((c) => `${x(Date.parse(c.createdAt)).toFixed(1)},${y(c.treeSize).toFixed(1)}`);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', points.join(' '));
  // One point draws no line: mark it, and say why there is no curve yet.
  const single = new Set(points).size === 1;
  const dot = document.createElementNS(svgNs, 'circle');
  const [cx, cy] = points[0].split(',');
  dot.setAttribute('cx', single && kept.length === 1 ? String(width / 2) : cx);
  dot.setAttribute('cy', cy);
  dot.setAttribute('r', '5');
  const label = (text, px, py, anchor) => {
    const node = document.createElementNS(svgNs, 'text');
    node.setAttribute('x', px);
    node.setAttribute('y', py);
    node.setAttribute('text-anchor', anchor);
    node.textContent = text;
    return node;
  };
  const title = document.createElementNS(svgNs, 'title');
  title.textContent = `Số lá theo thời gian / tree size over time: ${kept[0].treeSize} → ${maxSize}`;
  svg.append(title, single ? dot : line, label(String(maxSize), pad, pad - 6, 'start'), label(localTime(kept[0].createdAt), pad, height - 6, 'start'), label(localTime(kept.at(-1).createdAt), width - pad, height - 6, 'end'));
  const note = single
    ? [el('p', { class: 'status', id: 'growth-note' }, `Mới có một checkpoint (${maxSize} lá, ${localTime(kept.at(-1).createdAt)}); đường tăng trưởng hiện khi có checkpoint tiếp theo / one checkpoint so far (tree size ${maxSize}); the growth line appears with the next one`)]
    : [];
  chart.replaceChildren(svg, ...note);
}

/** Each listed checkpoint: its own signed note, and a consistency proof from it to the latest. */
async function checkGrowth() {
  const latest = state.latest;
  if (!latest?.ok) {
    setStatus('growth-status', 'Checkpoint mới nhất không hợp lệ: không thể kiểm tra / the latest checkpoint does not verify', true);
    return;
  }
  let failures = 0;
  for (const row of $('growth').tBodies[0].rows) {
    const size = Number(row.dataset.size);
    const cell = row.querySelector('.consistency');
    let why;
    try {
      const old = await openCheckpoint(await api(`/v1/audit/checkpoints/${size}`, 'text'), state.key);
      if (!old.ok) why = old.reason;
      else if (size > latest.size) why = 'lớn hơn checkpoint mới nhất / larger than the latest';
      else if (size === latest.size) why = old.root.every((b, i) => b === latest.root[i]) ? '' : 'cùng cỡ, khác gốc / same size, another root';
      else {
        const proof = await api(`/v1/audit/proofs/consistency?from=${size}&to=${latest.size}`);
        why = await verifyConsistency(size, latest.size, proof.hashes.map(fromBase64), old.root, latest.root);
      }
    } catch (error) {
      why = error.message;
    }
    if (why) failures++;
    cell.replaceChildren(mark(why ? 'fail' : 'ok'), ` ${why || `→ ${latest.size}`}`);
  }
  setStatus('growth-status', failures ? `${failures} checkpoint KHÔNG NHẤT QUÁN / NOT CONSISTENT` : 'Nhật ký chỉ tăng thêm / the log only grew', failures > 0);
}

// --- search ----------------------------------------------------------------------------------------

function searchQuery() {
  const params = new URLSearchParams();
  const text = (id) => $(id).value.trim();
  if (text('q-dossier')) params.set('dossierCode', text('q-dossier'));
  if (text('q-partner')) params.set('partner', text('q-partner'));
  if ($('q-direction').value) params.set('direction', $('q-direction').value);
  // datetime-local is the auditor's local time; the API wants an instant.
  if ($('q-from').value) params.set('from', new Date($('q-from').value).toISOString());
  if ($('q-to').value) params.set('to', new Date($('q-to').value).toISOString());
  params.set('limit', String(PAGE_SIZE));
  return params;
}

async function search(more) {
  const params = new URLSearchParams(more ? state.query : searchQuery());
  if (!more) state.query = params.toString();
  else params.set('after', String(state.next));
  setStatus('search-status', 'Đang tìm… / searching…');
  try {
    const page = await api(`/v1/audit/records?${params}`);
    const rows = page.records.map((r) =>
      el(
        'tr',
        { 'data-index': r.index },
        el('td', {}, r.index),
        el('td', { title: r.at }, localTime(r.at)),
        el('td', {}, r.direction === 'in' ? 'vào / in' : 'ra / out'),
        el('td', {}, r.partner ?? '—'),
        el('td', {}, r.endpoint),
        el('td', {}, r.dossierCode ?? '—'),
        el('td', {}, r.outcome, r.errorCode ? ` (${r.errorCode})` : '', r.attempt ? ` #${r.attempt}` : ''),
        el('td', {}, r.signed ? 'có / yes' : 'không / no'),
        el('td', {}, { kept: 'còn / kept', pruned: 'đã xóa / pruned', none: '—' }[r.body] ?? r.body),
        el('td', {}, el('button', { type: 'button', class: 'open', 'data-index': r.index }, 'Mở / Open')),
      ),
    );
    if (more) $('results').tBodies[0].append(...rows);
    else $('results').tBodies[0].replaceChildren(...rows);
    state.next = page.next;
    $('more').hidden = page.next === null;
    const shown = $('results').tBodies[0].rows.length;
    setStatus('search-status', `${shown} bản ghi / records (cây có ${page.treeSize} lá / tree size ${page.treeSize})`);
  } catch (error) {
    setStatus('search-status', error.message, true);
  }
}

// --- one record ------------------------------------------------------------------------------------

const MARKS = { ok: '✓', fail: '✗', skip: '—', none: '·' };
const mark = (s) => el('span', { class: `mark state-${s}`, 'aria-label': s }, MARKS[s]);

const VERDICTS = {
  ok: ['HỢP LỆ / VERIFIED', 'Mọi kiểm tra đều đạt, trong trình duyệt này. / Every check passed, in this browser.'],
  partial: ['HỢP LỆ MỘT PHẦN / PARTLY VERIFIED', 'Không có kiểm tra nào sai, nhưng có mục không kiểm tra được (xem —). / Nothing failed, but some checks could not be done (see —).'],
  fail: ['KHÔNG HỢP LỆ / NOT VALID', 'Bản ghi này KHÔNG được chứng minh. Xem các mục ✗. / This record does NOT verify. See the ✗ checks.'],
  error: ['KHÔNG KIỂM TRA ĐƯỢC / COULD NOT BE CHECKED', ''],
  checking: ['Đang kiểm tra… / Checking…', ''],
};

function showVerdict(verdict, detail) {
  const [title, text] = VERDICTS[verdict];
  $('record').dataset.verdict = verdict;
  $('verdict').replaceChildren(title, el('small', {}, detail ?? text));
}

const RECORD_FIELDS = [
  ['seq', 'Số thứ tự / Sequence'],
  ['at', 'Thời điểm (UTC) / Time (UTC)'],
  ['direction', 'Chiều / Direction'],
  ['partner', 'Đối tác / Partner'],
  ['endpoint', 'Điểm cuối / Endpoint'],
  ['dossierCode', 'Mã hồ sơ / Dossier code'],
  ['messageId', 'Mã thông điệp / Message id'],
  ['outcome', 'Kết quả / Outcome'],
  ['errorCode', 'Mã lỗi / Error code'],
  ['attempt', 'Lần gửi / Attempt'],
];

async function openRecord(index) {
  const ticket = ++state.opening;
  const section = $('record');
  section.hidden = false;
  section.dataset.index = String(index);
  $('record-index').textContent = `#${index}`;
  for (const id of ['checks', 'record-fields', 'certificates']) $(id).replaceChildren();
  $('download').hidden = true;
  if (state.blobUrl) URL.revokeObjectURL(state.blobUrl);
  state.blobUrl = undefined;
  showVerdict('checking');
  section.scrollIntoView({ block: 'start' });

  let bytes;
  let result;
  try {
    bytes = await api(`/v1/audit/bundles/${index}`, 'bytes');
    if (!state.key) throw new Error('không có khóa nhật ký dùng được / no usable log key');
    result = await verifyBundle(JSON.parse(new TextDecoder().decode(bytes)), state.key, index);
  } catch (error) {
    if (ticket === state.opening) showVerdict('error', error.message);
    return;
  }
  if (ticket !== state.opening) return;

  // The bytes exactly as served, so the offline verifier sees what this page checked.
  state.blobUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/json' }));
  Object.assign($('download'), { href: state.blobUrl, download: `lgsp-audit-bundle-${index}.json`, hidden: false });

  $('checks').replaceChildren(
    ...result.checks.map((c) => el('li', { 'data-check': c.id, 'data-state': c.state }, mark(c.state), el('span', { class: 'title' }, c.title), el('span', { class: 'reason' }, c.reason))),
  );
  const record = result.record;
  $('record-fields').replaceChildren(
    ...(record
      ? RECORD_FIELDS.flatMap(([name, label]) => [el('dt', {}, label), el('dd', {}, record[name] ?? '—')]).concat(
          el('dt', {}, 'Cam kết nội dung / Body commitment'),
          el('dd', {}, el('code', {}, record.body?.commitment ?? '—')),
          el('dt', {}, 'Chữ ký / Signature'),
          el('dd', {}, record.signature ? `${record.signature.format}, kid ${record.signature.keyId}` : '—'),
        )
      : [el('dt', {}, '—'), el('dd', {}, 'Lá không đọc được; không hiển thị gì chưa được chứng minh. / The leaf is unreadable; nothing unproven is shown.')]),
  );
  $('certificates').replaceChildren(
    ...result.certificates.map((c) => el('li', {}, el('div', {}, c.subject), el('div', { class: 'en' }, `cấp bởi / issued by ${c.issuer}`), el('code', {}, c.fingerprint))),
  );
  showVerdict(verdictOf(result.checks));
}

// --- wiring ----------------------------------------------------------------------------------------

async function start() {
  if (!sessionStorage.getItem(API_KEY_ITEM)) {
    setStatus('access-status', 'Nhập khóa API để bắt đầu / enter the API key to start');
    return;
  }
  setStatus('access-status', 'Đã có khóa API trong phiên này / API key set for this tab');
  try {
    await loadLogKey();
    await loadCheckpoints();
  } catch (error) {
    setStatus('access-status', error.message, true);
  }
}

$('api-key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(API_KEY_ITEM, $('api-key').value.trim());
  $('api-key').value = '';
  start();
});
$('forget-key').addEventListener('click', () => {
  sessionStorage.removeItem(API_KEY_ITEM);
  setStatus('access-status', 'Đã quên khóa API / API key forgotten');
});
$('pin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('pinned-key').value.trim();
  const parsed = await parseVerifierKey(text);
  if (parsed.error) {
    showKeyAlert(`KHÔNG GHIM ĐƯỢC / NOT PINNED: ${parsed.error}`, true);
    return;
  }
  localStorage.setItem(PINNED_KEY_ITEM, text);
  start();
});
$('unpin').addEventListener('click', () => {
  localStorage.removeItem(PINNED_KEY_ITEM);
  start();
});
$('check-growth').addEventListener('click', () => checkGrowth());
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  search(false);
});
$('more').addEventListener('click', () => search(true));
$('results').addEventListener('click', (event) => {
  const button = event.target.closest('button.open');
  if (button) openRecord(Number(button.dataset.index));
});
$('close-record').addEventListener('click', () => {
  $('record').hidden = true;
  state.opening++;
});

start();
