// What reproduces: one row per claim of both papers (and per open question of the review), with
// the lab's verdict computed from the shipped files by the Rust core's rules (src/verdicts.rs,
// `collapse-lab verdicts`), the numbers behind it and a link that opens its figure. The page
// shows the core's own output (www/verdicts.json, which tests/shipped_runs.rs checks against the
// rules run on today's shipped files); nothing here is written by hand.
export const id = 'verdicts';
export const title = 'What reproduces';
// Where it draws (views/index.js shows it by id).
export const box = '#verdicts-view';

const OUTCOMES = ['reproduced', 'partly', 'not-reproduced', 'not-tested'];
const WORDS = { reproduced: 'reproduced', partly: 'partly', 'not-reproduced': 'not reproduced', 'not-tested': 'not tested' };

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
    loading = fetch(new URL('../verdicts.json', import.meta.url)).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  }
  return loading;
}

// The gallery's step 0 says the tally before it is opened: "7 reproduced, 13 partly, ...".
export function tally(list) {
  if (!Array.isArray(list)) return '';
  return OUTCOMES.map((o) => `${list.filter((v) => v.outcome === o).length} ${WORDS[o]}`).join(', ') + ` of ${list.length} claims`;
}

// `list`: [{id, figure, claim, outcome, numbers, rule, links}] (src/verdicts.rs's Verdict).
export function render(box, list) {
  box.replaceChildren();
  box.append(el('h2', 'What reproduces'));
  if (!Array.isArray(list)) {
    box.append(el('p', 'The verdicts file (verdicts.json) could not be read.', 'error'));
    return;
  }
  const count = (o) => list.filter((v) => v.outcome === o).length;
  const intro = el('p', '', 'note');
  intro.append(`Each claim of the paper (and of the recursive-training paper, and each open question of its review), with the lab's verdict computed from its shipped runs by one rule per claim (the rule is under each row; `,
    el('code', 'collapse-lab verdicts'), ' prints the same). ');
  const tally = el('p', '', 'verdict-tally');
  tally.id = 'verdict-tally';
  for (const o of OUTCOMES) tally.append(el('span', `${count(o)} ${WORDS[o]}`, `badge ${o}`), ' ');
  tally.append(`of ${list.length} claims.`);
  box.append(intro, tally);
  const rows = el('ol', null, 'verdicts');
  for (const v of list) {
    const li = el('li', null, `verdict ${v.outcome}`);
    li.dataset.claim = v.id;
    const head = el('h3', null, 'verdict-head');
    head.append(el('span', WORDS[v.outcome] || v.outcome, `badge ${v.outcome}`), ' ', v.title, ' ', el('span', `(${v.figure})`, 'verdict-figure'));
    const links = el('p', null, 'verdict-links');
    v.links.forEach((p, i) => {
      const a = el('a', i === 0 ? `Open the figure (${p})` : p);
      a.href = `?preset=${encodeURIComponent(p)}&size=paper`;
      a.dataset.preset = p;
      links.append(i ? ' · ' : '', a);
    });
    const nums = el('ul', null, 'verdict-numbers');
    for (const n of v.numbers) nums.append(el('li', n));
    const rule = el('details', null, 'verdict-rule');
    rule.append(el('summary', 'Rule'), el('p', v.rule));
    li.append(head, el('p', v.claim, 'verdict-claim'), nums, links, rule);
    rows.append(li);
  }
  box.append(rows);
}
