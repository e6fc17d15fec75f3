//! Tests of the see-saw diagnostics (MAE and DSM at t, error correlation, velocity field) and of the Hermite see-saw of Prop. 1.

use super::hermite::{self, gauss_hermite};
use super::*;
use crate::data::{Dataset, GaussianMixture};
use crate::diffusion::{Process, ProcessKind};
use crate::rng::{self, Stream};
use crate::sample::{ExactEps, SamplerKind, SamplerSettings, SplitEps};
use std::sync::atomic::{AtomicUsize, Ordering};

/// E over x_t of tr Var(eps | x_t) for the symmetric two-component mixture +-mu (per
/// coordinate), std s: the least DSM loss at t, by Gauss–Hermite quadrature along the axis
/// joining the means (the responsibilities depend on nothing else).
fn dsm_minimum(mu: f64, s: f64, d: usize, p: &dyn Process, t: f64) -> f64 {
    let (a, sg) = (p.alpha(t), p.sigma(t));
    let v = s * s * a * a + sg * sg;
    let dist = 2.0 * mu * (d as f64).sqrt(); // |mu_1 - mu_2|
    let (x, w) = gauss_hermite(120);
    let mut e = 0.0;
    for (xi, wi) in x.iter().zip(&w) {
        let u = a * dist / 2.0 + v.sqrt() * std::f64::consts::SQRT_2 * xi;
        let delta = a * u * dist / v;
        e += wi / (4.0 * (delta / 2.0).cosh().powi(2));
    }
    e /= std::f64::consts::PI.sqrt();
    d as f64 * (1.0 - sg * sg / v) + sg * sg * a * a * dist * dist / (v * v) * e
}

fn fresh(ds: Dataset, nd: usize, n: usize) -> (crate::points::Points, Vec<f32>) {
    let x0 = ds.generate_from(n, nd, &mut rng::stream(7, Stream::Diagnostics, 0));
    let mut eps = vec![0.0f32; x0.data.len()];
    rng::fill_normal(&mut rng::stream(7, Stream::Diagnostics, 1), &mut eps);
    (x0, eps)
}

#[test]
fn with_the_exact_score_mae_is_zero_and_dsm_is_its_analytic_minimum() {
    for (ds, nd, n) in [(Dataset::Mog1d, 1, 200_000), (Dataset::MogNd, 10, 40_000)] {
        let process = ProcessKind::Vp;
        let exact = ExactEps { mixture: ds.mixture(nd).unwrap(), process };
        let (x0, eps) = fresh(ds, nd, n);
        let times = [1.0, 0.5, 0.2, 0.1, 0.02];
        let (mae, dsm) = mae_and_dsm(&exact, Some(&exact), &process, &x0, &eps, &times);
        let d = ds.dim(nd);
        for (m, l) in mae.iter().zip(&dsm) {
            assert_eq!(m.mae, 0.0, "{ds:?} t={}", m.t);
            assert_eq!(Some(l.loss), l.floor);
            let want = dsm_minimum(1.0, 0.2, d, &process, l.t);
            // Per-point loss ~ min/d chi^2_d: standard error min sqrt(2 / (d n)).
            let tol = 5.0 * want * (2.0 / (d * n) as f64).sqrt() + 1e-6;
            assert!((l.loss - want).abs() < tol, "{ds:?} t={}: DSM {} vs analytic minimum {want} (tol {tol})", l.t, l.loss);
        }
    }
}

/// A single Gaussian N(m, s^2) has the exact probability-flow map x_t = alpha_t m + sqrt(v_t) z
/// (z fixed along the flow): the velocity must be its time derivative, for every process.
#[test]
fn the_velocity_of_each_process_is_the_derivative_of_its_exact_flow() {
    let (m, s) = (0.7, 0.3);
    for process in ProcessKind::ALL {
        let exact = ExactEps { mixture: GaussianMixture::equal_weights(vec![vec![m]], s), process };
        let flow = |t: f64, z: f64| {
            let (a, sg) = (process.alpha(t), process.sigma(t));
            a * m + (s * s * a * a + sg * sg).sqrt() * z
        };
        for t in [0.05, 0.3, 0.7, 0.95] {
            for z in [-1.5, 0.2, 2.0] {
                let x = [flow(t, z) as f32];
                let e = eval_eps(&exact, &x, t);
                let v = velocity(&process, &x, &e, t)[0];
                let h = 1e-5;
                let fd = (flow(t + h, z) - flow(t - h, z)) / (2.0 * h);
                // x is rounded to f32: allow for it through the drift f(t) x.
                let tol = 1e-4 * fd.abs().max(1.0) + process.f(t).abs() * 1e-6;
                assert!((v - fd).abs() < tol, "{process:?} t={t} z={z}: velocity {v} vs finite difference {fd}");
            }
        }
    }
}

/// The exact eps plus a constant: its velocity error at t is gap(t) * c, so the error
/// covariance along any path is gap(t) gap(1) c^2 and the correlation is 1.
struct Offset<'a> {
    inner: &'a dyn EpsModel,
    c: f32,
}

impl EpsModel for Offset<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], s: &mut ScoreNetCache) {
        self.inner.eps(x, t, out, s);
        out.iter_mut().for_each(|o| *o += self.c);
    }
}

#[test]
fn error_correlation_follows_the_error_along_recorded_paths() {
    let process = ProcessKind::Vp;
    let exact = ExactEps { mixture: Dataset::Mog.mixture(2).unwrap(), process };
    let init = sample::initial_noise(64, 2, 3);
    let plan = sample::RecordPlan { coordinate: 0, lo: -1.0, hi: 1.0, bins: 1, times: vec![1.0], trajectories: 64 };
    let opts = sample::RunOptions { denoise: false, record: Some(&plan), start: None };
    let ode = SamplerKind::Ode.build(50, &SamplerSettings::default());
    let (_, rec) =
        sample::run_with(&sample::SampleJob { sampler: ode.as_ref(), model: &exact, process: &process, init: &init, seed: 3, stream: 0, opts: &opts });
    let rec = rec.unwrap();
    let none = error_correlation(&exact, &exact, &process, &rec);
    assert_eq!(none.len(), 51);
    assert!(none.iter().all(|e| e.cov == 0.0 && e.corr.is_none()));
    let off = Offset { inner: &exact, c: 0.1 };
    let got = error_correlation(&off, &exact, &process, &rec);
    let g1 = velocity_gap(&process, got[0].t);
    for e in &got {
        let want = velocity_gap(&process, e.t) * g1 * 0.01;
        assert!((e.cov - want).abs() < 1e-5 * want.abs().max(1.0), "t={}: {} vs {want}", e.t, e.cov);
        assert!((e.corr.unwrap() - 1.0).abs() < 1e-6);
    }
}

#[test]
fn the_velocity_field_of_the_exact_score_matches_itself_and_has_its_grid() {
    let process = ProcessKind::Vp;
    let exact = ExactEps { mixture: Dataset::MogNd.mixture(3).unwrap(), process };
    let f = velocity_field(&exact, &exact, &process, &[0.3, -0.2]);
    assert_eq!((f.xs.len(), f.ts.len(), f.learned.len(), f.learned[0].len()), (FIELD_XS, FIELD_TS, FIELD_TS, FIELD_XS));
    assert_eq!(f.learned, f.exact);
    assert_eq!(f.ts[0], 1.0);
    // At t = 1 the marginal is nearly N(0, I): v[0] ~ f x + g^2/2 x = 0.5 beta(1) (-x + x) ... small.
    assert!(f.exact[0].iter().all(|v| v.abs() < 1.0));
}

/// Records every time it is asked at, and answers with the exact score.
struct RangeCheck<'a> {
    inner: &'a dyn EpsModel,
    lo: f32,
    hi: f32,
    calls: AtomicUsize,
    outside: AtomicUsize,
}

impl EpsModel for RangeCheck<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], s: &mut ScoreNetCache) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if t < self.lo || t >= self.hi {
            self.outside.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.eps(x, t, out, s);
    }
}

#[test]
fn two_model_split_asks_each_net_only_inside_its_range() {
    let process = ProcessKind::Vp;
    let exact = ExactEps { mixture: Dataset::Mog1d.mixture(1).unwrap(), process };
    let low = RangeCheck { inner: &exact, lo: 0.0, hi: 0.6, calls: 0.into(), outside: 0.into() };
    let high = RangeCheck { inner: &exact, lo: 0.6, hi: 1.1, calls: 0.into(), outside: 0.into() };
    let split = SplitEps { low: Box::new(&low), high: Box::new(&high), split: 0.6 };
    let init = sample::initial_noise(300, 1, 1);
    for kind in SamplerKind::ALL {
        let s = kind.build(kind.default_steps().min(200), &SamplerSettings::default());
        sample::run(s.as_ref(), &split, &process, &init, 1, kind as u64);
    }
    let (x0, eps) = fresh(Dataset::Mog1d, 1, 1000);
    mae_and_dsm(&split, Some(&exact), &process, &x0, &eps, &[1.0, 0.6, 0.59, 0.1]);
    velocity_field(&split, &exact, &process, &[]);
    for (name, m) in [("low", &low), ("high", &high)] {
        assert!(m.calls.load(Ordering::Relaxed) > 100, "{name} net never asked");
        assert_eq!(m.outside.load(Ordering::Relaxed), 0, "{name} net asked outside its range");
    }
}

#[test]
fn hermite_coefficients_agree_at_two_resolutions_and_with_closed_forms() {
    let a = hermite::seesaw(1.0, 15, 100).unwrap();
    let b = hermite::seesaw(1.0, 15, 150).unwrap();
    for (x, y) in a.coefficients.iter().zip(&b.coefficients) {
        assert!((x.low - y.low).abs() < 1e-9, "alpha_{}: {} vs {}", x.i, x.low, y.low);
        // s_high = -x = -h_1 exactly.
        let want_high = if x.i == 1 { -1.0 } else { 0.0 };
        assert!((y.high - want_high).abs() < 1e-12, "alpha_high_{} = {}", y.i, y.high);
        if x.i % 2 == 0 {
            assert!(y.low.abs() < 1e-12, "even coefficient {} = {}", y.i, y.low);
        }
    }
    // alpha_1^low = E[x (tanh x - x)] = E[sech^2 x] - 1 (Stein), by direct quadrature.
    let (x, w) = gauss_hermite(150);
    let e_sech2: f64 = x.iter().zip(&w).map(|(xi, wi)| wi / (std::f64::consts::SQRT_2 * xi).cosh().powi(2)).sum::<f64>() / std::f64::consts::PI.sqrt();
    assert!((b.coefficients[1].low - (e_sech2 - 1.0)).abs() < 1e-12);
    // The losses against the residual of the fit computed directly.
    for l in &b.losses {
        let mut h = vec![0.0; l.p + 1];
        let direct: f64 = x
            .iter()
            .zip(&w)
            .map(|(xi, wi)| {
                let z = std::f64::consts::SQRT_2 * xi;
                hermite::hermite_normalised(z, l.p, &mut h);
                let fit: f64 = (0..=l.p).map(|i| b.coefficients[i].theta * h[i]).sum();
                wi * (fit - ((z).tanh() - z)).powi(2)
            })
            .sum::<f64>()
            / std::f64::consts::PI.sqrt();
        assert!((l.l_low - direct).abs() < 1e-9, "p={}: {} vs {direct}", l.p, l.l_low);
    }
    // The see-saw: l_low never rises, l_high never falls, and both move.
    assert!(b.losses.windows(2).all(|w| w[1].l_low <= w[0].l_low + 1e-12 && w[1].l_high >= w[0].l_high - 1e-12));
    assert!(b.losses[0].l_low > b.losses[14].l_low && b.losses[0].l_high < b.losses[14].l_high);
    // SPEC 7: alpha_5 of the low-noise score is positive, against the paper's claim.
    assert!(b.coefficients[5].low > 0.0);
    assert!(b.findings.iter().any(|f| f.contains("i = 5")), "{:?}", b.findings);
    assert!(hermite::seesaw(0.0, 5, 50).is_err() && hermite::seesaw(1.0, 0, 50).is_err());
}

/// An exact model that answers in a target's units, as a net with that target does: y from the
/// exact eps (eps = c1 x + c2 y), rounded to f32, then read back to eps by the net's own
/// coefficients in f32 (nn::score_net).
struct ExactInTarget {
    exact: ExactEps,
    target: crate::diffusion::Target,
}

impl crate::sample::EpsModel for ExactInTarget {
    fn dim(&self) -> usize {
        self.exact.mixture.dim()
    }
    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], scratch: &mut crate::nn::ScoreNetCache) {
        self.exact.eps(x, t, out, scratch);
        let Some((c1, c2)) = self.target.eps_coefficients(&self.exact.process, t as f64) else { return };
        let (c1, c2) = (c1 as f32, c2 as f32);
        for (o, &xi) in out.iter_mut().zip(x) {
            let y = ((*o as f64 - c1 as f64 * xi as f64) / c2 as f64) as f32;
            *o = c1 * xi + c2 * y;
        }
    }
}

/// Flow matching's two targets on the linear path: with the exact score, the velocity error is
/// zero near t = 1 for both (the eps target's 1 / (1 - t) only amplifies a net's error; the
/// conversions themselves are exact to f32), and the MAE of the diagnostics measures the
/// velocity in its own units for both.
#[test]
fn on_the_linear_path_both_targets_give_zero_velocity_error_with_the_exact_score() {
    use crate::diffusion::Target;
    let process = ProcessKind::Linear;
    let (x0, eps) = fresh(Dataset::Mog, 2, 20_000);
    for target in [Target::Eps, Target::V] {
        let model = ExactInTarget { exact: ExactEps { mixture: Dataset::Mog.mixture(2).unwrap(), process }, target };
        let exact = ExactEps { mixture: Dataset::Mog.mixture(2).unwrap(), process };
        let (mae, _) = mae_and_dsm(&model, Some(&exact), &process, &x0, &eps, &[process.t_max(), 0.99, 0.9, 0.5, 0.1]);
        for m in &mae {
            assert!(m.mae < 1e-3, "{target:?} at t = {}: MAE {} (the conversions should be exact to f32)", m.t, m.mae);
        }
    }
    // A fixed error of 0.01 in eps_hat is a velocity error of 0.01 / (1 - t): 10 at t = 0.999.
    assert!((velocity_gap(&process, process.t_max()) - 1000.0).abs() < 1.0, "{}", velocity_gap(&process, process.t_max()));
}
