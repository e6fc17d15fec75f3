// What reproduces: a reproduction report, one row per claim of the papers, per open question of
// the review and per question of the lab's own, in five groups with their own counts. Each row
// quotes the claim with its place, sets the paper's setting beside the lab's, and gives the
// lab's verdict computed from the shipped files by the Rust core's rules (src/verdicts/,
// `collapse-lab verdicts`): the paired tests (per seed differences, their 95 % interval), the
// gates a run passes, the runs excluded and why, what would settle an inconclusive row, the
// evidence files with their provenance, and a link that opens the figure. The page shows the
// core's own output (www/verdicts.json, which tests/shipped_runs.rs checks against the rules run
// on today's shipped files); nothing here is written by hand.
export const id = 'verdicts';
export const title = 'What reproduces';
// Where it draws (views/index.js shows it by id).
export const box = '#verdicts-view';

const OUTCOMES = ['reproduced', 'partly', 'not-reproduced', 'inconclusive', 'not-tested'];
const WORDS = { reproduced: 'reproduced', partly: 'partly', 'not-reproduced': 'not reproduced', inconclusive: 'inconclusive', 'not-tested': 'not tested' };
const GROUPS = [
  ['paper', "The paper's claims"],
  ['workshop', "The workshop version's claims"],
  ['recursive', "The recursive-training paper's claims"],
  ['review', "The review's open questions"],
  ['lab', "The lab's own questions"],
];

const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

// The file the page shows (www/verdicts.json); null where it cannot be read.
let loading = null;
export function load() {
  if (!loading) {
    loading = fetch(new URL('../verdicts.json', import.meta.url))
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
  }
  return loading;
}

// "7 reproduced, 13 partly, ..." (the gallery's step 0 says it before it is opened).
export function tally(list) {
  if (!Array.isArray(list)) return '';
  return OUTCOMES.map((o) => `${list.filter((v) => v.outcome === o).length} ${WORDS[o]}`).join(', ') + ` of ${list.length} rows`;
}

function tallyLine(list, cls) {
  const p = el('p', '', cls);
  for (const o of OUTCOMES) {
    const n = list.filter((v) => v.outcome === o).length;
    if (n) p.append(el('span', `${n} ${WORDS[o]}`, `badge ${o}`), ' ');
  }
  p.append(`of ${list.length}.`);
  return p;
}

// A folded list under a row: its summary says how many.
function fold(label, items, cls) {
  const d = el('details', null, cls);
  d.append(el('summary', label));
  const ul = el('ul');
  for (const i of items) ul.append(typeof i === 'string' ? el('li', i) : i);
  d.append(ul);
  return d;
}

function row(v) {
  const li = el('li', null, `verdict ${v.outcome}`);
  li.dataset.claim = v.id;
  li.dataset.group = v.group;
  const head = el('h4', null, 'verdict-head');
  head.append(el('span', WORDS[v.outcome] || v.outcome, `badge ${v.outcome}`), ' ', v.title, ' ', el('span', `(${v.place})`, 'verdict-figure'));
  const quote = el('blockquote', v.quote, 'verdict-quote');
  const tested = el('p', null, 'verdict-claim');
  tested.append(el('strong', 'Tested: '), v.claim);
  const settings = el('dl', null, 'verdict-settings');
  settings.append(el('dt', "Paper's setting"), el('dd', v.paper_setting), el('dt', "Lab's setting"), el('dd', v.lab_setting));
  const nums = el('ul', null, 'verdict-numbers');
  for (const n of v.numbers) nums.append(el('li', n));
  li.append(head, quote, tested, nums);
  if (v.settle) li.append(el('p', `To settle it: ${v.settle}`, 'verdict-settle'));
  if (v.excluded.length) {
    li.append(
      fold(
        `Excluded: ${v.excluded.length} run${v.excluded.length === 1 ? '' : 's'} failed a gate`,
        v.excluded.map((e) => `${e.run}: ${e.because}`),
        'verdict-excluded',
      ),
    );
  }
  const links = el('p', null, 'verdict-links');
  v.links.forEach((p, i) => {
    const a = el('a', i === 0 ? `Open the figure (${p})` : p);
    a.href = `?preset=${encodeURIComponent(p)}&size=paper`;
    a.dataset.preset = p;
    links.append(i ? ' · ' : '', a);
  });
  const how = el('details', null, 'verdict-rule');
  how.append(el('summary', 'Settings, statistic, gates, rule, evidence'), settings, el('p', `Statistic: ${v.statistic}`), el('p', `Rule: ${v.rule}`));
  if (v.gates.length) how.append(el('p', `Gates: ${v.gates.join('; ')}.`));
  for (const e of v.evidence) {
    const p = e.provenance;
    how.append(
      el(
        'p',
        `Evidence: ${e.file}, ${e.runs.join(', ')}` + (p ? ` (made by \`${p.command}\` at ${String(p.commit).slice(0, 10)}, ${p.date}, ${p.machine})` : ''),
        'verdict-evidence',
      ),
    );
  }
  li.append(links, how);
  return li;
}

// `list`: src/verdicts/mod.rs's Verdict rows, in group order.
export function render(box, list) {
  box.replaceChildren();
  box.append(el('h2', 'What reproduces'));
  if (!Array.isArray(list)) {
    box.append(el('p', 'The verdicts file (verdicts.json) could not be read.', 'error'));
    return;
  }
  const intro = el('p', '', 'note');
  intro.append(
    "Each claim in the papers' words, the paper's setting beside the lab's, and the lab's verdict computed from its shipped runs: samplers that share a net and a seed are compared seed by seed (the mean difference with a 95 % interval over seeds); a run counts only if it passes the row's gates (its stochastic reference reaches the data, its samplers converge, the floor is stable), and the runs left out are listed. ",
    el('code', 'collapse-lab verdicts'),
    ' prints the same; ',
    el('code', '--json'),
    " exports it with each file's provenance.",
  );
  const tallyAll = tallyLine(list, 'verdict-tally');
  tallyAll.id = 'verdict-tally';
  const print = el('button', 'Print the report', 'verdict-print');
  print.type = 'button';
  print.addEventListener('click', () => window.print());
  // Printed, every fold is open (a closed <details> prints its summary alone).
  if (!render.printing) {
    render.printing = true;
    let opened = [];
    window.addEventListener('beforeprint', () => {
      opened = [...document.querySelectorAll('#verdicts-view details:not([open])')];
      for (const d of opened) d.open = true;
    });
    window.addEventListener('afterprint', () => {
      for (const d of opened) d.open = false;
    });
  }
  box.append(intro, tallyAll, print);
  for (const [g, label] of GROUPS) {
    const these = list.filter((v) => v.group === g);
    if (!these.length) continue;
    const sec = el('section', null, 'verdict-group');
    sec.dataset.group = g;
    sec.append(el('h3', `${label} (${these.length})`), tallyLine(these, 'verdict-group-tally'));
    const rows = el('ol', null, 'verdicts');
    for (const v of these) rows.append(row(v));
    sec.append(rows);
    box.append(sec);
  }
}
