// The Hermite see-saw of appendix G.3 (Prop. 1), computed exactly in the page: the best
// degree-p fit to the low- and high-noise scores at once, and what that costs each.
import { COLORS, figure, lineChart } from '../plots.js';

export const id = 'hermite';
export const title = 'Hermite see-saw';
// Where it draws (views/index.js shows it by id).
export const box = '#hermite-view';

export function render(box, hermiteSeesaw, { mu = 1, degree = 15 } = {}) {
  box.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'Hermite see-saw (appendix G.3, Prop. 1)';
  const form = document.createElement('p');
  form.className = 'note';
  form.innerHTML =
    'One model fits s_low(x) = μ tanh(μx) − x and s_high(x) = −x (x ~ N(0,1)) with Hermite polynomials up to degree p. ' +
    `μ <input id="hermite-mu" value="${mu}" size="4" aria-label="mu"> max degree <input id="hermite-p" value="${degree}" size="4" aria-label="max degree">`;
  const err = document.createElement('p');
  err.className = 'error';
  box.append(h, form, err);
  let r;
  try {
    r = hermiteSeesaw(mu, degree);
  } catch (e) {
    err.textContent = String(e);
  }
  const again = () => {
    const m = Number(form.querySelector('#hermite-mu').value),
      p = Number(form.querySelector('#hermite-p').value);
    render(box, hermiteSeesaw, { mu: m, degree: Number.isInteger(p) ? p : NaN });
  };
  form.querySelectorAll('input').forEach((el) => el.addEventListener('change', again));
  if (!r) return;
  const grid = document.createElement('div');
  grid.className = 'grid-wide';
  box.append(grid);
  const c = figure(
    grid,
    480,
    280,
    'Hermite see-saw losses',
    'Losses of the joint degree-p fit: the low-noise one falls as p grows, the high-noise one rises (log scale).',
  );
  c.id = 'hermite-chart';
  const ps = r.losses.map((l) => l.p);
  lineChart(
    c,
    [
      { name: 'l_low(p)', color: COLORS.ode, xs: ps, ys: r.losses.map((l) => l.l_low), markers: true },
      { name: 'l_high(p)', color: COLORS.sde, xs: ps, ys: r.losses.map((l) => l.l_high), markers: true },
    ],
    { xlabel: 'degree p', ylabel: 'loss', logy: true },
  );
  const list = document.createElement('ul');
  list.id = 'hermite-findings';
  list.innerHTML = r.findings.map((f) => `<li>${f.replace(/[<>&]/g, '')}</li>`).join('');
  box.append(list);
  const table = document.createElement('table');
  table.innerHTML =
    '<caption>Odd Hermite coefficients (even ones vanish)</caption><thead><tr><th scope="col">i</th><th scope="col">α_i low</th><th scope="col">α_i high</th><th scope="col">θ_i</th></tr></thead><tbody>' +
    r.coefficients
      .filter((k) => k.i % 2 === 1)
      .map((k) => `<tr><th scope="row">${k.i}</th><td>${k.low.toExponential(4)}</td><td>${k.high.toFixed(4)}</td><td>${k.theta.toExponential(4)}</td></tr>`)
      .join('') +
    '</tbody>';
  box.append(table);
}
