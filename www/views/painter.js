// Paint your own 2D data: a grid of densities 0-9 over [-2, 2]^2 drawn with a brush that adds
// density where it passes (erase takes it away). The grid is the `painted` setting's text
// (`SIDE:DIGITS`, rows from the top), so it travels in the link; the core draws the points.
export const id = 'painter';
export const title = 'Paint your data';
// Where it draws (views/index.js shows it by id).
export const box = '#painter';

const SIDE = 20;
const PX = 240;

// A ring with a dense blob at its centre: a first picture that is valid data.
function example(side) {
  const cells = new Array(side * side).fill(0);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const x = ((c + 0.5) / side) * 4 - 2,
        y = 2 - ((r + 0.5) / side) * 4;
      const d = Math.hypot(x, y);
      if (Math.abs(d - 1.4) < 0.25) cells[r * side + c] = 3;
      if (d < 0.45) cells[r * side + c] = 9;
    }
  }
  return cells;
}

function parse(text) {
  const m = /^(\d+):([0-9]+)$/.exec((text || '').trim());
  if (!m) return null;
  const side = +m[1];
  if (side < 4 || side > 32 || m[2].length !== side * side) return null;
  return { side, cells: [...m[2]].map(Number) };
}

// `input`: the form's `painted` field; `changed()` is called after every stroke.
export function render(box, input, { changed }) {
  // A grid the link gave but that cannot be read stays as given (the core refuses it by name);
  // no grid at all starts from the example.
  const given = input.value.trim();
  let grid = parse(given) || { side: SIDE, cells: given ? new Array(SIDE * SIDE).fill(0) : example(SIDE) };
  const write = () => {
    input.value = `${grid.side}:${grid.cells.join('')}`;
    changed();
  };
  if (!given) write();
  box.replaceChildren();
  const canvas = document.createElement('canvas');
  canvas.width = PX;
  canvas.height = PX;
  canvas.id = 'paint-canvas';
  canvas.setAttribute('aria-label', 'Painted density grid: drag to add density');
  canvas.style.touchAction = 'none';
  const bar = document.createElement('div');
  bar.className = 'paint-bar';
  const mode = document.createElement('select');
  mode.id = 'paint-mode';
  mode.setAttribute('aria-label', 'Brush');
  mode.append(new Option('brush: add', 'add'), new Option('brush: erase', 'erase'));
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.textContent = 'Clear';
  clear.id = 'paint-clear';
  const ex = document.createElement('button');
  ex.type = 'button';
  ex.textContent = 'Example';
  ex.id = 'paint-example';
  bar.append(mode, clear, ex);
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = `Drag to add density (0–9 per cell, ${grid.side}×${grid.side} cells over [−2, 2]²); Train draws the training set from it.`;
  box.append(canvas, bar, note);
  const ctx = canvas.getContext('2d');
  const draw = () => {
    const w = PX / grid.side;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, PX, PX);
    grid.cells.forEach((d, i) => {
      if (!d) return;
      ctx.fillStyle = `rgba(0, 114, 178, ${0.12 + (0.88 * d) / 9})`;
      ctx.fillRect((i % grid.side) * w, Math.floor(i / grid.side) * w, w, w);
    });
    ctx.strokeStyle = '#ddd';
    for (let k = 0; k <= grid.side; k++) {
      ctx.beginPath();
      ctx.moveTo(k * w, 0);
      ctx.lineTo(k * w, PX);
      ctx.moveTo(0, k * w);
      ctx.lineTo(PX, k * w);
      ctx.stroke();
    }
  };
  // The brush: +2 at the cell under the pointer, +1 at its four neighbours (erase: 0 there).
  const paint = (ev) => {
    const rect = canvas.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - rect.left) / rect.width) * grid.side);
    const r = Math.floor(((ev.clientY - rect.top) / rect.height) * grid.side);
    if (c < 0 || r < 0 || c >= grid.side || r >= grid.side) return;
    for (const [dr, dc, add] of [
      [0, 0, 2],
      [1, 0, 1],
      [-1, 0, 1],
      [0, 1, 1],
      [0, -1, 1],
    ]) {
      const rr = r + dr,
        cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= grid.side || cc >= grid.side) continue;
      const i = rr * grid.side + cc;
      grid.cells[i] = mode.value === 'erase' || ev.shiftKey ? 0 : Math.min(9, grid.cells[i] + add);
    }
    draw();
  };
  let down = false;
  canvas.addEventListener('pointerdown', (ev) => {
    down = true;
    canvas.setPointerCapture(ev.pointerId);
    paint(ev);
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (down) paint(ev);
  });
  const up = () => {
    if (down) {
      down = false;
      write();
    }
  };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
  clear.addEventListener('click', () => {
    grid.cells.fill(0);
    draw();
    write();
  });
  ex.addEventListener('click', () => {
    grid = { side: SIDE, cells: example(SIDE) };
    draw();
    write();
  });
  draw();
}
