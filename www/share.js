// Share: one toolbar button opens a dialog with the three links a user hands on, each built
// from the page's own share link (settings.js keeps #share current): this experiment's link;
// the embed code for a blog (the iframe at a chosen size and the host snippet that lets it
// follow the page's height, docs/page.md "Embedding"); and a classroom link (controls ticked to
// hide or lock, a question, a preview). Nothing is typed by hand; every output opens to what it
// promises (a page test opens each in a fresh browser).
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
};

// The embed sizes offered: the compact widget at a blog column's and a phone column's size, and
// the whole page.
const SIZES = [
  { id: 'blog', label: 'Compact, 640 × 420 (a blog column)', embed: '1', w: 640, h: 420 },
  { id: 'phone', label: 'Compact, 400 × 600 (a phone column)', embed: '1', w: 400, h: 600 },
  { id: 'page', label: 'The whole page, 900 × 700', embed: 'full', w: 900, h: 700 },
];

// The page's share link as an absolute URL, with `edit` applied to its query.
function linkWith(edit) {
  const u = new URL($('#share').getAttribute('href') || location.pathname, location.href);
  for (const k of ['embed', 'hide', 'lock', 'question']) u.searchParams.delete(k);
  edit(u.searchParams);
  return u.toString();
}

function embedCode(size) {
  const src = linkWith((q) => q.set('embed', size.embed));
  const safe = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return (
    `<iframe class="collapse-lab" src="${safe}" width="${size.w}" height="${size.h}" style="border:0;max-width:100%" title="Collapse Lab" loading="lazy"></iframe>\n` +
    "<script>\naddEventListener('message', (e) => {\n" +
    "  for (const f of document.querySelectorAll('iframe.collapse-lab')) if (e.data && e.data.type === 'collapse-lab:height' && f.contentWindow === e.source) f.style.height = `${e.data.height}px`;\n" +
    '});\n</script>\n'
  );
}

async function copy(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    status.textContent = 'Select the text above and copy it (this browser keeps the clipboard from the page).';
  }
}

// `groups`: the form's boxes a classroom link can hide or lock (data, model, ...).
export function setupShare(groups) {
  const open = el('button', { type: 'button', id: 'share-open', 'aria-haspopup': 'dialog' }, 'Share');
  $('#toolbar .actions').insertBefore(open, $('#settings-link'));
  const dlg = el('dialog', { id: 'share-dialog', 'aria-labelledby': 'share-title' });
  const close = el('button', { type: 'button', class: 'share-close', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', () => dlg.close());
  dlg.append(el('h2', { id: 'share-title' }, 'Share this experiment'), close);

  const section = (title, note) => {
    const s = el('section', { class: 'share-part' });
    s.append(el('h3', {}, title));
    if (note) s.append(el('p', { class: 'note' }, note));
    dlg.append(s);
    return s;
  };
  const output = (id, rows) =>
    rows > 1 ? el('textarea', { id, rows: String(rows), readonly: '', spellcheck: 'false' }) : el('input', { id, readonly: '', type: 'text' });
  const copyButton = (out, label) => {
    const status = el('span', { class: 'share-status', role: 'status' });
    const b = el('button', { type: 'button' }, label);
    b.addEventListener('click', () => {
      out.select();
      copy(out.value, status);
    });
    return [b, status];
  };

  const linkPart = section('Link', 'Opens these settings (and the shipped figure, for a gallery entry) for anyone.');
  const link = output('share-link', 1);
  linkPart.append(link, ...copyButton(link, 'Copy link'));

  const embedPart = section('Embed in a page', 'The iframe and a small script that lets the frame follow the height of what it shows.');
  const size = el('select', { id: 'share-size', 'aria-label': 'Embed size' });
  for (const s of SIZES) size.append(el('option', { value: s.id }, s.label));
  const code = output('share-embed', 6);
  embedPart.append(el('label', {}, 'Size '), size, code, ...copyButton(code, 'Copy embed code'));

  const classPart = section('Classroom link', 'Tick what students should not see or not change, and ask a question shown above the results.');
  const table = el('table', { class: 'share-controls' });
  table.append(el('tr', {}, ''));
  table.firstChild.append(el('th', { scope: 'col' }, 'Box'), el('th', { scope: 'col' }, 'Hide'), el('th', { scope: 'col' }, 'Lock'));
  for (const g of groups) {
    const tr = el('tr');
    const cell = (kind) => {
      const td = el('td');
      td.append(el('input', { type: 'checkbox', name: `share-${kind}`, value: g, 'aria-label': `${kind} ${g}` }));
      return td;
    };
    tr.append(el('th', { scope: 'row' }, g), cell('hide'), cell('lock'));
    table.append(tr);
  }
  const question = el('input', {
    id: 'share-question',
    type: 'text',
    maxlength: '2000',
    placeholder: 'Why do the ODE samples gather in streaks?',
    'aria-label': 'Question for the class',
  });
  const classLink = output('share-classroom', 1);
  const preview = el('a', { id: 'share-preview', target: '_blank', rel: 'noopener' }, 'Preview');
  classPart.append(table, el('label', { for: 'share-question' }, 'Question '), question, classLink, preview, ...copyButton(classLink, 'Copy classroom link'));

  const refresh = () => {
    link.value = linkWith(() => {});
    code.value = embedCode(SIZES.find((s) => s.id === size.value) || SIZES[0]);
    const ticked = (kind) => [...dlg.querySelectorAll(`input[name=share-${kind}]:checked`)].map((x) => x.value);
    classLink.value = linkWith((q) => {
      if (ticked('hide').length) q.set('hide', ticked('hide').join(','));
      if (ticked('lock').length) q.set('lock', ticked('lock').join(','));
      if (question.value.trim()) q.set('question', question.value.trim());
    });
    preview.href = classLink.value;
  };
  dlg.addEventListener('input', refresh);
  dlg.addEventListener('change', refresh);
  open.addEventListener('click', () => {
    refresh();
    dlg.showModal();
  });
  document.body.append(dlg);
}
