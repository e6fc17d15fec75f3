// Classroom links and embedding: what a teacher's link hides, locks and asks, and the height
// an embedded page reports to its host.
const $ = (sel) => document.querySelector(sel);

// Classroom mode: `hide=` and `lock=` name controls (setting names as in the URL: width,
// samplers, fresh ...) or whole boxes (data, model, training, samplers, views, study,
// generations); hidden ones vanish, locked ones keep the URL's value and cannot be changed.
// `question=` is shown above the results as plain text. Unknown names are refused by name.
function controlsOf(form, name) {
  const box = form.querySelector(`fieldset[data-group="${name}"]`);
  if (box) return [box];
  if (name === 'samplers') return [...form.querySelectorAll('input[name=sampler]')];
  if (name === 'steps') return [...form.querySelectorAll('input[name^=steps-]')];
  const el = form.elements[name];
  if (!el || !el.name) return [];
  return el.length && !el.tagName ? [...el] : [el];
}

// `known`: the names a link may use (the form's boxes, settings and page fields).
export function applyClassroom(form, params, known) {
  const errors = [];
  const hideTab = (el) => {
    const t = el.dataset && el.dataset.group && document.querySelector(`#tab-${el.dataset.group}`);
    if (t) t.hidden = true;
  };
  for (const [param, act] of [
    [
      'hide',
      (el) => {
        (el.closest('label') || el).hidden = true;
        if (el.tagName === 'FIELDSET') {
          el.hidden = true;
          hideTab(el);
        }
      },
    ],
    [
      'lock',
      (el) => {
        for (const x of el.tagName === 'FIELDSET' ? el.querySelectorAll('input, select') : [el]) {
          x.dataset.locked = 'true';
          x.disabled = true;
        }
      },
    ],
  ]) {
    for (const name of (params.get(param) || '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)) {
      const els = known.includes(name) ? controlsOf(form, name) : [];
      if (!els.length) {
        errors.push(`${param}: unknown control "${name}"; known: ${known.join(', ')}`);
        continue;
      }
      els.forEach(act);
    }
  }
  const q = params.get('question');
  if (q !== null && q.trim()) {
    const box = $('#question');
    box.textContent = q.slice(0, 2000); // text, never HTML
    box.hidden = false;
  }
  return errors;
}

// In an iframe, the page tells its parent its height, so the frame fits without scrollbars:
// {type: 'collapse-lab:height', height} by postMessage whenever it changes.
export function reportHeight() {
  if (window.parent === window) return;
  let last = 0;
  const send = () => {
    // The content's own height: the document's scrollHeight is never below the frame's, so a
    // frame taller than its content could never shrink to it.
    const h = Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY + (parseFloat(getComputedStyle(document.body).marginBottom) || 0));
    if (h !== last) {
      last = h;
      window.parent.postMessage({ type: 'collapse-lab:height', height: h }, '*');
    }
  };
  new ResizeObserver(send).observe(document.body);
  send();
}
