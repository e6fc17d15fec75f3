//! Diffusion processes (SPEC §2). A process knows its marginal x_t = alpha_t x_0 + sigma_t eps
//! and the coefficients of its forward SDE dx = f(t) x dt + g(t) dW; samplers need nothing else.

use serde::{Deserialize, Serialize};

mod target;
pub use target::{EDM_P, Precond, Target, TimeDist, TimeRange};

/// Smallest time the lab trains on and integrates to.
pub const T_EPS: f64 = 1e-3;

pub trait Process: Send + Sync {
    fn alpha(&self, t: f64) -> f64;
    fn sigma(&self, t: f64) -> f64;
    /// Drift coefficient f(t) = d/dt log alpha_t.
    fn f(&self, t: f64) -> f64;
    /// Squared diffusion g(t)^2 = d/dt sigma_t^2 - 2 f(t) sigma_t^2.
    fn g2(&self, t: f64) -> f64;

    /// Largest time trained on and sampled from. 1 except where the process is singular there.
    fn t_max(&self) -> f64 {
        1.0
    }

    /// The scale of the samplers' starting points: x at t_max is drawn as this times N(0, I).
    /// 1 for the processes whose marginal there is (nearly) N(0, I); sigma_max for `ve`.
    fn prior_scale(&self) -> f64 {
        1.0
    }

    /// Half-log signal-to-noise ratio lambda = log(alpha / sigma) (DPM-Solver's time variable).
    fn lambda(&self, t: f64) -> f64 {
        (self.alpha(t) / self.sigma(t)).ln()
    }

    /// The time in [t_eps, t_max] whose lambda is `lambda` (lambda decreases in t), by bisection:
    /// exact to f64 round-off for every process, and cheap next to a network evaluation.
    fn t_of_lambda(&self, lambda: f64) -> f64 {
        let (mut lo, mut hi) = (T_EPS, self.t_max());
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if self.lambda(mid) > lambda {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// The processes an experiment can pick (SPEC §2 and the paper's appendix J).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessKind {
    #[default]
    Vp,
    SubVp,
    Linear,
    /// EDM's variance-exploding x = x_0 + sigma n, sigma from 0.002 to 80 on its rho = 7 grid.
    Ve,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 4] = [ProcessKind::Vp, ProcessKind::SubVp, ProcessKind::Linear, ProcessKind::Ve];

    pub fn name(self) -> &'static str {
        match self {
            ProcessKind::Vp => "vp",
            ProcessKind::SubVp => "sub-vp",
            ProcessKind::Linear => "linear",
            ProcessKind::Ve => "ve",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The process's code in the WGSL kernels (`PROCESS_*` of `engine::gpu::kernels::constants`).
    pub fn code(self) -> u32 {
        match self {
            ProcessKind::Vp => 0,
            ProcessKind::SubVp => 1,
            ProcessKind::Linear => 2,
            ProcessKind::Ve => 3,
        }
    }

    fn get(self) -> &'static dyn Process {
        const VP: Vp = Vp { beta_min: VP_BETA.0, beta_max: VP_BETA.1 };
        const SUB_VP: SubVp = SubVp(VP);
        match self {
            ProcessKind::Vp => &VP,
            ProcessKind::SubVp => &SUB_VP,
            ProcessKind::Linear => &Linear,
            ProcessKind::Ve => &Ve,
        }
    }
}

impl Process for ProcessKind {
    fn alpha(&self, t: f64) -> f64 {
        self.get().alpha(t)
    }
    fn sigma(&self, t: f64) -> f64 {
        self.get().sigma(t)
    }
    fn f(&self, t: f64) -> f64 {
        self.get().f(t)
    }
    fn g2(&self, t: f64) -> f64 {
        self.get().g2(t)
    }
    fn t_max(&self) -> f64 {
        self.get().t_max()
    }
    fn prior_scale(&self) -> f64 {
        self.get().prior_scale()
    }
    fn lambda(&self, t: f64) -> f64 {
        self.get().lambda(t)
    }
}

/// The variance-preserving SDE of the paper: beta(t) = b0 + t (b1 - b0).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Vp {
    pub beta_min: f64,
    pub beta_max: f64,
}

/// VP's beta(t) runs linearly from beta_min to beta_max (SPEC §2; score_sde's defaults): the one
/// home of these numbers, the WGSL kernels' included (`engine::gpu::kernels::constants`).
pub const VP_BETA: (f64, f64) = (0.1, 20.0);

impl Default for Vp {
    fn default() -> Self {
        Vp { beta_min: VP_BETA.0, beta_max: VP_BETA.1 }
    }
}

impl Vp {
    pub fn beta(&self, t: f64) -> f64 {
        self.beta_min + t * (self.beta_max - self.beta_min)
    }

    fn log_alpha(&self, t: f64) -> f64 {
        -0.25 * t * t * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min
    }
}

impl Process for Vp {
    fn alpha(&self, t: f64) -> f64 {
        self.log_alpha(t).exp()
    }
    fn sigma(&self, t: f64) -> f64 {
        // 1 - alpha^2 = -expm1(2 log alpha): keeps precision at t -> 0.
        (-(2.0 * self.log_alpha(t)).exp_m1()).sqrt()
    }
    fn f(&self, t: f64) -> f64 {
        -0.5 * self.beta(t)
    }
    fn g2(&self, t: f64) -> f64 {
        self.beta(t)
    }
}

/// Song et al.'s sub-VP SDE: the VP drift with g^2 = beta (1 - alpha^4), so that
/// sigma_t = 1 - alpha_t^2 (variance below the VP one at every t).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubVp(pub Vp);

impl Process for SubVp {
    fn alpha(&self, t: f64) -> f64 {
        self.0.alpha(t)
    }
    fn sigma(&self, t: f64) -> f64 {
        -(2.0 * self.0.log_alpha(t)).exp_m1()
    }
    fn f(&self, t: f64) -> f64 {
        self.0.f(t)
    }
    fn g2(&self, t: f64) -> f64 {
        -self.0.beta(t) * (4.0 * self.0.log_alpha(t)).exp_m1()
    }
}

/// The linear (rectified-flow) path x_t = (1 - t) x_0 + t eps. Its drift f = -1/(1 - t) and
/// g^2 = 2t / (1 - t) are singular at t = 1, so it stops at t_max = 1 - t_eps; samplers start
/// there from N(0, I) (x there is 0.001 x_0 + 0.999 eps).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linear;

impl Process for Linear {
    fn alpha(&self, t: f64) -> f64 {
        1.0 - t
    }
    fn sigma(&self, t: f64) -> f64 {
        t
    }
    fn f(&self, t: f64) -> f64 {
        -1.0 / (1.0 - t)
    }
    fn g2(&self, t: f64) -> f64 {
        2.0 * t / (1.0 - t)
    }
    fn t_max(&self) -> f64 {
        1.0 - T_EPS
    }
}

/// EDM's sigma range and grid exponent (Karras et al. 2022, Table 1): the one home of these
/// numbers, the WGSL kernels' included.
pub const EDM_SIGMA: (f64, f64) = (0.002, 80.0);
pub const EDM_RHO: f64 = 7.0;

/// EDM's variance-exploding process x_t = x_0 + sigma(t) n (Karras et al. 2022), with its time
/// chosen so that the lab's uniform grid in t is EDM's sigma grid:
/// sigma(t) = (sigma_min^(1/rho) + t (sigma_max^(1/rho) - sigma_min^(1/rho)))^rho, rho = 7, so the
/// N-step grid from t = 1 down to t_eps steps through sigma_i = (sigma_max^(1/rho) +
/// i/N (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho (ending at sigma(t_eps) = 0.00205, not 0.002;
/// the final step to sigma = 0 is the lab's denoising step, EDM's last Euler step exactly).
/// alpha = 1, f = 0 and g^2 = d sigma^2/dt, so the probability-flow ODE is dx/dt = sigma'(t) eps,
/// i.e. EDM's dx/dsigma = (x - D(x))/sigma, and Euler and Heun steps in t are EDM's in sigma.
/// Samplers start at t = 1 from sigma_max N(0, I).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ve;

impl Ve {
    fn root(t: f64) -> f64 {
        let (lo, hi) = (EDM_SIGMA.0.powf(1.0 / EDM_RHO), EDM_SIGMA.1.powf(1.0 / EDM_RHO));
        lo + t * (hi - lo)
    }

    /// The time whose sigma is `sigma` (sigma^(1/rho) is linear in t).
    pub fn t_of_sigma(sigma: f64) -> f64 {
        let (lo, hi) = (EDM_SIGMA.0.powf(1.0 / EDM_RHO), EDM_SIGMA.1.powf(1.0 / EDM_RHO));
        (sigma.powf(1.0 / EDM_RHO) - lo) / (hi - lo)
    }

    /// d sigma / dt.
    pub fn dsigma(t: f64) -> f64 {
        let (lo, hi) = (EDM_SIGMA.0.powf(1.0 / EDM_RHO), EDM_SIGMA.1.powf(1.0 / EDM_RHO));
        EDM_RHO * Self::root(t).powf(EDM_RHO - 1.0) * (hi - lo)
    }
}

impl Process for Ve {
    fn alpha(&self, _t: f64) -> f64 {
        1.0
    }
    fn sigma(&self, t: f64) -> f64 {
        Self::root(t).powf(EDM_RHO)
    }
    fn f(&self, _t: f64) -> f64 {
        0.0
    }
    fn g2(&self, t: f64) -> f64 {
        2.0 * self.sigma(t) * Self::dsigma(t)
    }
    fn prior_scale(&self) -> f64 {
        EDM_SIGMA.1
    }
    fn lambda(&self, t: f64) -> f64 {
        -self.sigma(t).ln()
    }
}

/// Forward noising at one time t (SPEC §2): `out = alpha_t x0 + sigma_t eps`, elementwise over
/// points of any number of rows. The one home of this formula: training's batches
/// (`engine::cpu`), the recorded true noised data (`sample::record`) and the see-saw
/// diagnostics all noise through it (the WGSL engine's `batch.wgsl` is tested against it).
pub fn noise_at(p: &dyn Process, t: f64, x0: &[f32], eps: &[f32], out: &mut [f32]) {
    let (a, s) = (p.alpha(t) as f32, p.sigma(t) as f32);
    for ((o, &x), &e) in out.iter_mut().zip(x0).zip(eps) {
        *o = a * x + s * e;
    }
}

/// Forward noising of a batch, one t per row (row-major): [`noise_at`] row by row.
pub fn noise_batch(p: &dyn Process, x0: &[f32], t: &[f32], eps: &[f32], out: &mut [f32]) {
    let d = x0.len() / t.len();
    for (i, &ti) in t.iter().enumerate() {
        let r = i * d..(i + 1) * d;
        noise_at(p, ti as f64, &x0[r.clone()], &eps[r.clone()], &mut out[r]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{self, Stream};

    #[test]
    fn vp_schedule_matches_closed_forms() {
        let vp = Vp::default();
        for &t in &[1e-3f64, 0.1, 0.25, 0.5, 0.6, 0.9, 1.0] {
            let closed_alpha = (-0.25 * t * t * 19.9 - 0.05 * t).exp();
            assert!((vp.alpha(t) - closed_alpha).abs() < 1e-14, "alpha({t})");
            assert!((vp.sigma(t) - (1.0 - closed_alpha * closed_alpha).sqrt()).abs() < 1e-12, "sigma({t})");
            assert!((vp.beta(t) - (0.1 + 19.9 * t)).abs() < 1e-14);
            assert!((vp.g2(t) - vp.beta(t)).abs() < 1e-14);
            // f = d/dt log alpha, checked by central differences.
            let h = 1e-6;
            let fd = (vp.alpha(t + h).ln() - vp.alpha(t - h).ln()) / (2.0 * h);
            assert!((vp.f(t) - fd).abs() < 1e-6, "f({t})");
            // g^2 = d sigma^2/dt - 2 f sigma^2.
            let ds2 = (vp.sigma(t + h).powi(2) - vp.sigma(t - h).powi(2)) / (2.0 * h);
            assert!((vp.g2(t) - (ds2 - 2.0 * vp.f(t) * vp.sigma(t).powi(2))).abs() < 1e-5);
        }
        // Known values: alpha(1) = exp(-5.025), sigma(t_eps) ~ sqrt(1e-4 + ...).
        assert!((vp.alpha(1.0) - (-5.025f64).exp()).abs() < 1e-15);
        assert!((vp.sigma(T_EPS) - (1.0 - (-(0.25e-6 * 19.9 + 0.05e-3) * 2.0f64).exp()).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn forward_noising_has_the_right_moments() {
        let vp = Vp::default();
        let n = 200_000;
        let t = vec![0.3f32; n];
        let x0 = vec![1.5f32; n];
        let mut eps = vec![0.0f32; n];
        rng::fill_normal(&mut rng::stream(1, Stream::Batches, 0), &mut eps);
        let mut xt = vec![0.0f32; n];
        noise_batch(&vp, &x0, &t, &eps, &mut xt);
        let mean = xt.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        let var = xt.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let (a, s) = (vp.alpha(0.3), vp.sigma(0.3));
        assert!((mean - 1.5 * a).abs() < 4.0 * s / (n as f64).sqrt(), "{mean}");
        assert!((var - s * s).abs() < 0.01 * s * s, "{var}");
    }

    /// f and g^2 of every process agree with the derivatives of its alpha and sigma, and the
    /// marginals are the closed forms of SPEC §2 / appendix J.
    #[test]
    fn sub_vp_and_linear_match_their_closed_forms() {
        let h = 1e-6;
        for kind in ProcessKind::ALL {
            let p: &dyn Process = &kind;
            for &t in &[2e-3f64, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99] {
                let fd = (p.alpha(t + h).ln() - p.alpha(t - h).ln()) / (2.0 * h);
                assert!((p.f(t) - fd).abs() < 1e-5 * (1.0 + fd.abs()), "{kind:?} f({t})");
                let ds2 = (p.sigma(t + h).powi(2) - p.sigma(t - h).powi(2)) / (2.0 * h);
                let g2 = ds2 - 2.0 * p.f(t) * p.sigma(t).powi(2);
                assert!((p.g2(t) - g2).abs() < 1e-5 * (1.0 + g2.abs()), "{kind:?} g2({t})");
                // lambda inverts.
                let back = p.t_of_lambda(p.lambda(t));
                assert!((back - t).abs() < 1e-9, "{kind:?} t_of_lambda({t}) = {back}");
            }
        }
        let sub = ProcessKind::SubVp;
        for &t in &[1e-3f64, 0.2, 0.6, 1.0] {
            let a = (-0.25 * t * t * 19.9 - 0.05 * t).exp();
            assert!((sub.alpha(t) - a).abs() < 1e-14);
            assert!((sub.sigma(t) - (1.0 - a * a)).abs() < 1e-12, "sub-vp sigma({t})");
            assert!((sub.g2(t) - (0.1 + 19.9 * t) * (1.0 - a.powi(4))).abs() < 1e-9);
            assert!(sub.sigma(t) <= ProcessKind::Vp.sigma(t));
        }
        let lin = ProcessKind::Linear;
        assert_eq!(lin.t_max(), 1.0 - T_EPS);
        assert_eq!(ProcessKind::Vp.t_max(), 1.0);
        for &t in &[1e-3f64, 0.25, 0.5, 0.999] {
            assert!((lin.alpha(t) - (1.0 - t)).abs() < 1e-15 && (lin.sigma(t) - t).abs() < 1e-15);
            assert!((lin.g2(t) - 2.0 * t / (1.0 - t)).abs() < 1e-9);
        }
        assert_eq!(ProcessKind::parse("sub-vp"), Some(ProcessKind::SubVp));
        assert_eq!(serde_json::to_string(&ProcessKind::SubVp).unwrap(), "\"sub-vp\"");
    }
}
