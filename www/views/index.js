// The page's views in one list. Each view module exports its `id`, its `title`, its `box` (the
// element it draws into) and `render(box, data, state = {})`; the page shows a view by its id
// (`show`) instead of wiring each by name. tests/docs.rs checks that every file here has them.
import * as checkpoints from './checkpoints.js';
import * as gallery from './gallery.js';
import * as generations from './generations.js';
import * as hermite from './hermite.js';
import * as own from './own.js';
import * as painter from './painter.js';
import * as robustness from './robustness.js';
import * as run from './run.js';
import * as seesaw from './seesaw.js';
import * as study from './study.js';
import * as verdicts from './verdicts.js';

export const VIEWS = [run, seesaw, robustness, checkpoints, own, painter, gallery, study, generations, hermite, verdicts];

// The view with this id (an unknown id is a bug of the page: it throws, naming the known ones).
export function view(id) {
  const v = VIEWS.find((x) => x.id === id);
  if (!v) throw new Error(`no view "${id}"; views: ${VIEWS.map((x) => x.id).join(', ')}`);
  return v;
}

// Draws `data` in the view `id` and shows its box; returns the box.
export function show(id, data, state = {}) {
  const v = view(id);
  const box = document.querySelector(v.box);
  box.hidden = false;
  v.render(box, data, state);
  return box;
}
