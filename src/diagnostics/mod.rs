//! The see-saw diagnostics of SPEC §7 (paper sections 5.3-5.4, appendices F.2, G): how far a
//! trained score model is from the exact one, at which t, and how that error travels along a
//! sampler's trajectories.
//!
//! Everything is said in terms of the probability-flow velocity v(x, t) = f(t) x - 1/2 g(t)^2
//! s(x, t) of the process in use. With s = -eps / sigma, the difference of two models'
//! velocities is `(g^2 / (2 sigma)) (eps_a - eps_b)`: [`velocity_gap`] is that factor.

pub mod hermite;

use crate::diffusion::Process;
use crate::nn::ScoreNetCache;
use crate::parallel;
use crate::points::Points;
use crate::sample::{self, BLOCK, EpsModel, Recording};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// v_a - v_b = velocity_gap(t) (eps_a - eps_b) for two eps-models at the same (x, t).
pub fn velocity_gap(p: &dyn Process, t: f64) -> f64 {
    0.5 * p.g2(t) / p.sigma(t)
}

/// The probability-flow velocity f x + (g^2 / (2 sigma)) eps_hat of each row of `x` at `t`.
pub fn velocity(p: &dyn Process, x: &[f32], eps_hat: &[f32], t: f64) -> Vec<f64> {
    let (f, c) = (p.f(t), velocity_gap(p, t));
    x.iter().zip(eps_hat).map(|(&x, &e)| f * x as f64 + c * e as f64).collect()
}

/// eps_hat of every row of `x` at one `t`, in fixed blocks over the worker threads.
pub fn eval_eps(model: &dyn EpsModel, x: &[f32], t: f64) -> Vec<f32> {
    let d = model.dim();
    let mut out = vec![0.0f32; x.len()];
    let mut blocks: Vec<(&[f32], &mut [f32])> = x.chunks(BLOCK * d).zip(out.chunks_mut(BLOCK * d)).collect();
    parallel::for_each_mut(&mut blocks, |_, (xb, ob)| {
        let mut scratch = ScoreNetCache::default();
        model.eps(xb, t as f32, ob, &mut scratch);
    });
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaeAt {
    pub t: f64,
    /// Mean over points and coordinates of |v_theta(x_t, t) - v(x_t, t)|.
    pub mae: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DsmAt {
    pub t: f64,
    /// Mean over points of ||eps_hat(x_t, t) - eps||^2 (the training loss at this t).
    pub loss: f64,
    /// The same loss of the exact score on the same draws: the least any model can reach
    /// (mixtures only).
    pub floor: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorCorrelation {
    pub t: f64,
    /// C(t) = mean_i <e_t(i), e_1(i)> / d, with e_t(i) = v_theta(x_t^i, t) - v(x_t^i, t).
    pub cov: f64,
    /// C(t) / sqrt(C_tt C_11); null where either error vanishes.
    pub corr: Option<f64>,
}

/// The first coordinate of the learned and the exact velocity on a grid of (x[0], t), the other
/// coordinates fixed to one N(0, I) draw (paper Fig. 6a, 13a, 14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VelocityField {
    pub xs: Vec<f64>,
    /// From t_max down to t_eps, as a sampler runs.
    pub ts: Vec<f64>,
    /// The other coordinates of every grid point (empty in 1D).
    pub fixed: Vec<f32>,
    /// `[t][x]`.
    pub learned: Vec<Vec<f64>>,
    pub exact: Vec<Vec<f64>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Size of the fresh draw behind `mae_velocity` and `dsm_at_t`.
    pub points: usize,
    /// Empty for data sets without an exact score.
    pub mae_velocity: Vec<MaeAt>,
    pub dsm_at_t: Vec<DsmAt>,
    /// Per sampler (mixtures only).
    pub error_correlation: BTreeMap<String, Vec<ErrorCorrelation>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub velocity_field: Option<VelocityField>,
    /// What could not be computed and why.
    pub notes: Vec<String>,
}

/// MAE(t) against `exact` (when given) and DSM(t), for each t, on the draws x_0 and eps
/// (SPEC §7): x_t = alpha_t x_0 + sigma_t eps, the same draws at every t.
pub fn mae_and_dsm(
    model: &dyn EpsModel,
    exact: Option<&dyn EpsModel>,
    process: &dyn Process,
    x0: &Points,
    eps: &[f32],
    times: &[f64],
) -> (Vec<MaeAt>, Vec<DsmAt>) {
    let n = x0.len() as f64;
    let mut mae = Vec::new();
    let mut dsm = Vec::new();
    for &t in times {
        let mut xt = vec![0.0f32; x0.data.len()];
        crate::diffusion::noise_at(process, t, &x0.data, eps, &mut xt);
        let e_hat = eval_eps(model, &xt, t);
        let sq = |u: &[f32]| u.iter().zip(eps).map(|(&p, &q)| ((p - q) as f64).powi(2)).sum::<f64>() / n;
        let floor = exact.map(|m| {
            let e_star = eval_eps(m, &xt, t);
            let gap = velocity_gap(process, t);
            let abs: f64 = e_hat.iter().zip(&e_star).map(|(&p, &q)| (p as f64 - q as f64).abs()).sum();
            mae.push(MaeAt { t, mae: gap * abs / e_hat.len() as f64 });
            sq(&e_star)
        });
        dsm.push(DsmAt { t, loss: sq(&e_hat), floor });
    }
    (mae, dsm)
}

/// At most this many times of a trajectory are probed for the error correlation.
const PROBE_TIMES: usize = 101;

/// The velocity-error covariance and correlation along recorded trajectories (SPEC §7, paper
/// Fig. 6b, 13b): `rec` holds the paths of the points, `model` and `exact` are compared on them.
pub fn error_correlation(model: &dyn EpsModel, exact: &dyn EpsModel, process: &dyn Process, rec: &Recording) -> Vec<ErrorCorrelation> {
    let (p, d) = (rec.trajectory_points, rec.dim);
    let rows = rec.trajectory_times.len();
    if p == 0 || rows == 0 {
        return Vec::new();
    }
    let picks: Vec<usize> = if rows <= PROBE_TIMES {
        (0..rows).collect()
    } else {
        let mut v: Vec<usize> = (0..PROBE_TIMES).map(|i| i * (rows - 1) / (PROBE_TIMES - 1)).collect();
        v.dedup();
        v
    };
    let error_at = |k: usize| -> Vec<f64> {
        let t = rec.trajectory_times[k];
        let x = &rec.trajectories[k * p * d..(k + 1) * p * d];
        let (a, b) = (eval_eps(model, x, t), eval_eps(exact, x, t));
        let gap = velocity_gap(process, t);
        a.iter().zip(&b).map(|(&u, &v)| gap * (u as f64 - v as f64)).collect()
    };
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() / (p * d) as f64;
    let e1 = error_at(picks[0]);
    let c11 = dot(&e1, &e1);
    picks
        .iter()
        .map(|&k| {
            let e = if k == picks[0] { e1.clone() } else { error_at(k) };
            let (cov, ctt) = (dot(&e, &e1), dot(&e, &e));
            let corr = (ctt > 0.0 && c11 > 0.0).then(|| cov / (ctt * c11).sqrt());
            ErrorCorrelation { t: rec.trajectory_times[k], cov, corr }
        })
        .collect()
}

/// Grid sizes of the velocity-field view.
pub const FIELD_XS: usize = 121;
pub const FIELD_TS: usize = 100;
/// x[0] spans [-FIELD_X, FIELD_X]: the mixtures' modes sit at +-1 (1D, n-D) or on radius 2.
pub const FIELD_X: f64 = 3.0;

/// The velocity field of `model` and `exact` on the (x[0], t) grid; `fixed` gives the other
/// coordinates (length dim - 1).
pub fn velocity_field(model: &dyn EpsModel, exact: &dyn EpsModel, process: &dyn Process, fixed: &[f32]) -> VelocityField {
    let d = model.dim();
    assert_eq!(fixed.len() + 1, d);
    let xs: Vec<f64> = (0..FIELD_XS).map(|i| -FIELD_X + 2.0 * FIELD_X * i as f64 / (FIELD_XS - 1) as f64).collect();
    let ts = sample::uniform_grid(FIELD_TS - 1, process.t_max());
    let mut grid = Vec::with_capacity(FIELD_XS * d);
    for &x in &xs {
        grid.push(x as f32);
        grid.extend_from_slice(fixed);
    }
    let first = |e: &[f32], t: f64| -> Vec<f64> {
        let v = velocity(process, &grid, e, t);
        v.chunks_exact(d).map(|r| r[0]).collect()
    };
    let (mut learned, mut exact_v) = (Vec::new(), Vec::new());
    for &t in &ts {
        learned.push(first(&eval_eps(model, &grid, t), t));
        exact_v.push(first(&eval_eps(exact, &grid, t), t));
    }
    VelocityField { xs, ts, fixed: fixed.to_vec(), learned, exact: exact_v }
}

#[cfg(test)]
mod tests;
