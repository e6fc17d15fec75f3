//! What the net regresses onto (`model.target`) and where training draws its times
//! (`training.t_dist`): the design-space settings of the paper's open questions (issue 25).
//!
//! A target is a fixed linear combination of the clean point and the noise,
//! y = cx0(t) x_0 + ceps(t) eps, so training regresses N(x_t, t) onto y with the plain squared
//! loss |N - y|^2 (the DSM loss in the target's own units), and a sampler, which asks for
//! eps_hat, reads it back from N through the marginal x_t = alpha_t x_0 + sigma_t eps:
//! eps_hat = c1(t) x_t + c2(t) N — the same affine output as the fixed skip connection, so both
//! engines and every sampler take it unchanged.
//!
//! - `eps`: y = eps (the paper's, Ho et al. 2020); c1 = 0, c2 = 1.
//! - `x0`: y = x_0 (the denoiser); eps = (x_t - alpha x_0) / sigma: c1 = 1 / sigma,
//!   c2 = -alpha / sigma.
//! - `v`: the velocity of the path, y = d x_t / dt = alpha' x_0 + sigma' eps (on the linear path
//!   eps - x_0: flow matching's target, Lipman et al. 2023, Liu et al. 2023). With
//!   f = alpha'/alpha and g^2 = d sigma^2/dt - 2 f sigma^2 (the process's SDE coefficients),
//!   sigma' = (g^2 + 2 f sigma^2) / (2 sigma) and eps = (y - f x_t) 2 sigma / g^2:
//!   c1 = -2 f sigma / g^2, c2 = 2 sigma / g^2. Its conditional mean E[y | x_t] is the
//!   probability-flow ODE's velocity f x_t + g^2 / (2 sigma) E[eps | x_t].

use super::Process;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    #[default]
    Eps,
    X0,
    V,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Eps, Target::X0, Target::V];

    pub fn name(self) -> &'static str {
        match self {
            Target::Eps => "eps",
            Target::X0 => "x0",
            Target::V => "v",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_eps(&self) -> bool {
        *self == Target::Eps
    }

    /// The target's code in `shaders/batch.wgsl` (`TARGET_*` of `engine::gpu::kernels::constants`).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// (cx0, ceps) at time t: the target is y = cx0 x_0 + ceps eps.
    pub fn draw_coefficients(self, p: &dyn Process, t: f64) -> (f64, f64) {
        match self {
            Target::Eps => (0.0, 1.0),
            Target::X0 => (1.0, 0.0),
            Target::V => {
                let (f, g2, a, s) = (p.f(t), p.g2(t), p.alpha(t), p.sigma(t));
                (f * a, (g2 + 2.0 * f * s * s) / (2.0 * s))
            }
        }
    }

    /// (c1, c2) at time t with eps = c1 x_t + c2 y; None for `eps` (the net's output is eps).
    pub fn eps_coefficients(self, p: &dyn Process, t: f64) -> Option<(f64, f64)> {
        match self {
            Target::Eps => None,
            Target::X0 => {
                let (a, s) = (p.alpha(t), p.sigma(t));
                Some((1.0 / s, -a / s))
            }
            Target::V => {
                let (f, g2, s) = (p.f(t), p.g2(t), p.sigma(t));
                Some((-2.0 * f * s / g2, 2.0 * s / g2))
            }
        }
    }
}

/// The net's preconditioning: `none` (the net sees [x, t] and its output is the target), or
/// EDM's (Karras et al. 2022, Table 1) for the `ve` process and the x0 target: the net F sees
/// [c_in x, c_noise] and the denoiser is D = c_skip x + c_out F, with
/// c_skip = s_d^2 / (sigma^2 + s_d^2), c_out = sigma s_d / sqrt(sigma^2 + s_d^2),
/// c_in = 1 / sqrt(sigma^2 + s_d^2), c_noise = ln(sigma) / 4, s_d the data's standard deviation.
/// EDM's loss weight (sigma^2 + s_d^2) / (sigma s_d)^2 on |D - x_0|^2 is exactly the unit
/// weight on |F - (x_0 - c_skip x) / c_out|^2, which is what training regresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precond {
    #[default]
    None,
    Edm,
}

impl Precond {
    pub const ALL: [Precond; 2] = [Precond::None, Precond::Edm];

    pub fn name(self) -> &'static str {
        match self {
            Precond::None => "none",
            Precond::Edm => "edm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_none(&self) -> bool {
        *self == Precond::None
    }

    /// EDM's (c_skip, c_out, c_in, c_noise) at noise level sigma with data std s_d.
    pub fn edm(sigma: f64, s_d: f64) -> (f64, f64, f64, f64) {
        let r = (sigma * sigma + s_d * s_d).sqrt();
        (s_d * s_d / (r * r), sigma * s_d / r, 1.0 / r, sigma.ln() / 4.0)
    }
}

/// Where training draws its times in [lo, hi] (SPEC §4 draws them uniformly).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeDist {
    #[default]
    Uniform,
    /// t = lo + (hi - lo) sigmoid(n), n ~ N(0, 1): the logit-normal(0, 1) of rectified-flow
    /// practice (Esser et al. 2024, "Scaling rectified flow transformers"), which puts more
    /// of the training on the middle times.
    LogitNormal,
    /// EDM's ln sigma ~ N(-1.2, 1.2^2) (Karras et al. 2022, Table 1), for the `ve` process: t is
    /// the time of that sigma (`Ve::t_of_sigma`), kept inside [lo, hi].
    #[serde(rename = "lognormal", alias = "log-normal")]
    LogNormal,
}

/// EDM's P_mean and P_std of ln sigma in training.
pub const EDM_P: (f32, f32) = (-1.2, 1.2);

impl TimeDist {
    pub const ALL: [TimeDist; 3] = [TimeDist::Uniform, TimeDist::LogitNormal, TimeDist::LogNormal];

    pub fn name(self) -> &'static str {
        match self {
            TimeDist::Uniform => "uniform",
            TimeDist::LogitNormal => "logit-normal",
            TimeDist::LogNormal => "lognormal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn is_uniform(&self) -> bool {
        *self == TimeDist::Uniform
    }

    /// The distribution's code in `shaders/batch.wgsl` (`T_DIST_*`).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The time of a row from its two uniform numbers u1, u2 in (0, 1) (u2 unused by `uniform`),
    /// in f32 as the WGSL kernel computes it.
    pub fn time(self, lo: f32, hi: f32, u1: f32, u2: f32) -> f32 {
        match self {
            TimeDist::Uniform => lo + u1 * (hi - lo),
            TimeDist::LogitNormal => {
                let n = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
                lo + (hi - lo) / (1.0 + (-n).exp())
            }
            TimeDist::LogNormal => {
                let n = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
                let sigma = (EDM_P.0 + EDM_P.1 * n).exp();
                let r = 1.0 / super::EDM_RHO as f32;
                let (a, b) = ((super::EDM_SIGMA.0 as f32).powf(r), (super::EDM_SIGMA.1 as f32).powf(r));
                ((sigma.powf(r) - a) / (b - a)).clamp(lo, hi)
            }
        }
    }
}

/// The times one net trains on: [lo, hi] (all of [t_eps, t_max], one side of a two-model
/// split, or a fixed t) and how they are drawn there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeRange {
    pub lo: f32,
    pub hi: f32,
    pub dist: TimeDist,
}

impl TimeRange {
    pub fn uniform(lo: f32, hi: f32) -> Self {
        TimeRange { lo, hi, dist: TimeDist::Uniform }
    }
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange::uniform(super::T_EPS as f32, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::GaussianMixture;
    use crate::diffusion::ProcessKind;

    /// For every process and target, eps read back from the target of a draw is the draw's eps.
    #[test]
    fn every_target_reads_back_the_noise_it_was_made_from() {
        for kind in ProcessKind::ALL {
            for target in Target::ALL {
                for &t in &[2e-3f64, 0.05, 0.3, 0.6, 0.9, kind.t_max()] {
                    let (a, s) = (kind.alpha(t), kind.sigma(t));
                    let (x0, eps) = (0.7f64, -1.3f64);
                    let x = a * x0 + s * eps;
                    let (cx0, ceps) = target.draw_coefficients(&kind, t);
                    let y = cx0 * x0 + ceps * eps;
                    let back = match target.eps_coefficients(&kind, t) {
                        None => y,
                        Some((c1, c2)) => c1 * x + c2 * y,
                    };
                    assert!((back - eps).abs() < 1e-9 * (1.0 + eps.abs()), "{kind:?} {target:?} t={t}: {back}");
                }
            }
        }
    }

    /// The v target is the path's velocity: y = d/dt (alpha_t x0 + sigma_t eps), checked by a
    /// central difference; on the linear path it is flow matching's eps - x0.
    #[test]
    fn the_v_target_is_the_velocity_of_the_path() {
        let h = 1e-6;
        for kind in ProcessKind::ALL {
            for &t in &[0.01f64, 0.2, 0.5, 0.8, 0.95] {
                let (x0, eps) = (1.1, 0.4);
                let at = |t: f64| kind.alpha(t) * x0 + kind.sigma(t) * eps;
                let fd = (at(t + h) - at(t - h)) / (2.0 * h);
                let (cx0, ceps) = Target::V.draw_coefficients(&kind, t);
                assert!((cx0 * x0 + ceps * eps - fd).abs() < 1e-5 * (1.0 + fd.abs()), "{kind:?} t={t}");
            }
        }
        let (cx0, ceps) = Target::V.draw_coefficients(&ProcessKind::Linear, 0.3);
        assert!((cx0 + 1.0).abs() < 1e-12 && (ceps - 1.0).abs() < 1e-12);
    }

    /// With the exact score, the conditional mean of the v target is the probability-flow ODE's
    /// velocity, and that velocity moves a point along the exact flow of a Gaussian: for data
    /// N(m, s^2), x_t = alpha m + sqrt(alpha^2 s^2 + sigma^2) z at fixed z (a finite difference).
    /// The x0 target's mean is Tweedie's denoiser, which for a Gaussian is closed-form too.
    #[test]
    fn the_exact_score_gives_the_exact_flow_and_denoiser_through_every_target() {
        let (m, sd) = (0.8f64, 0.5f64);
        let g = GaussianMixture::equal_weights(vec![vec![m]], sd);
        let h = 1e-5;
        for kind in ProcessKind::ALL {
            for &t in &[0.05f64, 0.3, 0.7, 0.9] {
                let z = 0.9;
                let flow = |t: f64| kind.alpha(t) * m + (kind.alpha(t).powi(2) * sd * sd + kind.sigma(t).powi(2)).sqrt() * z;
                let x = flow(t);
                let (a, s) = (kind.alpha(t), kind.sigma(t));
                let mut score = [0.0f64];
                g.score(&[x], a, s, &mut score);
                let eps = -s * score[0];
                // E[y | x] = (eps - c1 x) / c2 for the exact eps.
                let mean_y = |target: Target| {
                    let (c1, c2) = target.eps_coefficients(&kind, t).unwrap();
                    (eps - c1 * x) / c2
                };
                let fd = (flow(t + h) - flow(t - h)) / (2.0 * h);
                assert!((mean_y(Target::V) - fd).abs() < 1e-5 * (1.0 + fd.abs()), "{kind:?} t={t}: v {} flow {fd}", mean_y(Target::V));
                let var = a * a * sd * sd + s * s;
                let denoised = m + a * sd * sd / var * (x - a * m);
                assert!((mean_y(Target::X0) - denoised).abs() < 1e-9, "{kind:?} t={t}: x0");
            }
        }
    }

    #[test]
    fn logit_normal_times_stay_in_range_and_centre_on_the_middle() {
        let n = 20_000;
        let (lo, hi) = (1e-3f32, 0.999f32);
        let mut ts = Vec::with_capacity(n);
        for i in 0..n {
            let h = |j: u32| crate::rng::counter::unit(crate::rng::counter::hash4(9, i as u32, j, 0));
            ts.push(TimeDist::LogitNormal.time(lo, hi, h(0), h(1)) as f64);
        }
        assert!(ts.iter().all(|&t| t > lo as f64 && t < hi as f64));
        let mean = ts.iter().sum::<f64>() / n as f64;
        let mid = ts.iter().filter(|&&t| (0.25..0.75).contains(&t)).count() as f64 / n as f64;
        // sigmoid(N(0,1)): mean 1/2, P(|n| < ln 3 = 1.0986) = 0.728 (uniform: 0.5).
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert!((mid - 0.728).abs() < 0.015, "{mid}");
        assert_eq!(TimeDist::Uniform.time(0.25, 0.75, 0.5, 0.9), 0.5);
        // The JSON names are the settings' names (the PyTorch script reads them from the spec).
        for d in TimeDist::ALL {
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{}\"", d.name()));
        }
        for t in Target::ALL {
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.name()));
        }
        for p in Precond::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.name()));
        }
    }
}
