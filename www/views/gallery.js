// The gallery: one entry per figure of the paper (and of the recursive-training paper), built
// from the Rust core's preset table (src/spec/presets.rs), each with what to look for and
// two links: quick (runs at once, a smaller net) and paper (the paper's settings).
export const id = 'gallery';
export const title = 'Gallery';
// Where it draws (views/index.js shows it by id).
export const box = '#presets';

const text = (tag, t, cls) => {
  const el = document.createElement(tag);
  el.textContent = t;
  if (cls) el.className = cls;
  return el;
};

// An entry whose two sizes are one (the Hermite see-saw is computed exactly).
const oneSize = (p) => p.paper.replace('&size=paper', '') === p.quick;

// One gallery entry: its figure, title, quick and paper links, and what to look for.
function entry(p) {
  const li = document.createElement('li');
  li.dataset.preset = p.id;
  const head = document.createElement('div');
  head.append(text('b', p.figure), ' ', text('span', p.title), ' ');
  const links = text('span', '', 'links');
  // A quick size that takes minutes (the see-saw's) says so on its link.
  const quick = text('a', p.quick_note ? 'quick (minutes)' : 'quick');
  if (p.quick_note) quick.title = p.quick_note;
  // A quick run starts at once; a paper-sized one waits for Train (or shows its stored run).
  quick.href = `?${p.quick}${p.kind === 'hermite' ? '' : '&autorun=1'}`;
  quick.className = 'quick';
  links.append(quick);
  if (!oneSize(p)) {
    const paper = text('a', 'paper');
    paper.href = `?${p.paper}`;
    paper.className = 'paper';
    links.append(' · ', paper);
    // Its trained run ships with the page: opened in seconds, no training.
    if (p.shipped) {
      paper.title = "Trained by the lab's CLI and shipped with the page: opens in seconds";
      links.append(text('span', ' (trained)', 'note shipped'));
    }
  }
  head.append(links);
  li.append(head, text('p', p.look, 'note'));
  return li;
}

// A shipped study or generations run still growing says how far it is, from the shipped files'
// provenance index (`done` and `planned` runs or chains), before it is opened.
export function counts(box, index) {
  for (const li of box.querySelectorAll('li[data-preset]')) {
    const p = index[li.dataset.preset];
    const mark = li.querySelector('.shipped');
    if (!mark || !p || !(p.done < p.planned)) continue;
    mark.textContent = ` (partial: ${p.done} of ${p.planned} ${p.kind === 'generations' ? 'chains' : 'runs'} trained)`;
    mark.classList.add('partial');
  }
}

// `presets`: [{id, figure, title, look, kind, quick, quick_note, paper, shipped}] (URL queries without '?');
// `path`: the guided path [{title, text, look, presets: [id]}] (the core's presets::PATH), read
// top to bottom: collapse, where it forms, why (the see-saw), cures, recursive training.
export function render(box, presets, { path }) {
  const details = document.createElement('details');
  details.id = 'gallery';
  const summary = text('summary', 'A path through the papers: ');
  summary.append(
    text('span', ['0. What reproduces', ...path.map((s, i) => `${i + 1}. ${s.title.split(':')[0]}`)].join(' → '), 'path-steps'),
    ` (${presets.length} figures)`,
  );
  details.append(summary);
  // The answer first: what reproduces, claim by claim (views/verdicts.js), a step of its own.
  const verdicts = document.createElement('section');
  verdicts.className = 'step';
  verdicts.id = 'step-verdicts';
  const open = text('a', 'Open the verdicts');
  open.href = '?view=verdicts';
  open.id = 'verdicts-link';
  const vp = text(
    'p',
    "Which claims of the papers hold here? One row per claim (in the papers' words, with the paper's setting beside the lab's) and per open question, with the lab's verdict (reproduced, partly, not reproduced, inconclusive, not tested) computed from the shipped runs that pass its gates, samplers compared seed by seed with an interval, and a link to its figure: ",
    'step-text',
  );
  vp.append(open, '.');
  verdicts.append(text('h3', '0. What reproduces'), vp);
  details.append(verdicts);
  const byId = new Map(presets.map((p) => [p.id, p]));
  path.forEach((step, i) => {
    const sec = document.createElement('section');
    sec.className = 'step';
    sec.append(text('h3', `${i + 1}. ${step.title}`), text('p', step.text, 'step-text'));
    const look = text('p', '', 'step-look');
    look.append(text('b', 'Look for: '), step.look);
    const list = document.createElement('ul');
    list.className = 'gallery';
    for (const id of step.presets) if (byId.has(id)) list.append(entry(byId.get(id)));
    sec.append(look, list);
    details.append(sec);
  });
  box.replaceChildren(details);
  return details;
}

// The note shown above the results of a gallery link: which figure, which size, what to look
// for, and the settings the link changed from the entry's (then it is no longer its figure).
export function note(el, preset, size, changed = []) {
  if (!preset) return;
  const other = size === 'paper' ? 'quick' : 'paper';
  const title = /[.?!]$/.test(preset.title) ? preset.title : `${preset.title}.`;
  el.replaceChildren(text('b', `${preset.figure}: ${title} `), text('span', preset.look + ' '));
  const whose = oneSize(preset) ? "the entry's" : size === 'paper' ? "the paper's" : "the quick size's";
  if (changed.length) el.append(text('span', `Changed from ${whose} setting: ${changed.join(', ')}. `, 'changed'));
  if (!oneSize(preset)) {
    const a = text('a', `Open the ${other} size`);
    a.href = `?${other === 'paper' ? preset.paper : preset.quick}`;
    const sz = changed.length
      ? ''
      : size === 'paper'
        ? "This is the paper's setting. "
        : (preset.quick_note || 'This is the quick size: a smaller net and fewer steps than the paper, so the effect is indicative.') + ' ';
    el.append(text('span', sz), a, '.');
  }
  el.hidden = false;
}
