//! The probability-flow ODE (Euler, and Heun's second-order method) and reverse SDE
//! (Euler–Maruyama) samplers (SPEC §5).

use super::Sampler;
use super::ops::{Buf, Op};
use crate::diffusion::Process;

/// One Euler step of the probability-flow ODE dx/dt = f x - 1/2 g^2 s from t to t_next.
pub(super) fn ode_euler(p: &dyn Process, t: f64, t_next: f64, out: &mut Vec<Op>) {
    out.push(Op::Eval { src: Buf::X, t });
    // -1/2 g^2 s = +1/2 g^2 eps / sigma.
    out.push(Op::Euler { dt: (t - t_next) as f32, f: p.f(t) as f32, c: (0.5 * p.g2(t) / p.sigma(t)) as f32, noise: None });
}

/// Probability-flow ODE, Euler: dx/dt = f x - 1/2 g^2 s, integrated backwards in t.
pub struct Ode {
    pub steps: usize,
}

impl Sampler for Ode {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        ode_euler(p, t, t_next, out);
    }
}

/// Probability-flow ODE, Heun's method (EDM's Algorithm 1, Karras et al. 2022, on this lab's
/// processes and time grid): an Euler step to t_next, then the step again with the mean of the
/// slopes at both ends. Second order; two network evaluations per step. With the ODE written
/// dx/dt = F(x, t) = f_t x + c_t eps(x, t) (c = 1/2 g^2 / sigma) and h = t - t_next:
/// x' = (1 - h f_t) x - h c_t e1, and x_next = x - h/2 (F(x, t) + F(x', t_next))
///    = [1 - h/2 (f_t + f_n (1 - h f_t))] x - h/2 c_t (1 - h f_n) e1 - h/2 c_n e2,
/// which the operations build without keeping e1: x' into the second buffer, then x takes its
/// e1 part, then e2 = eps(x', t_next) is added. EDM skips the correction where sigma_next = 0;
/// this grid ends at t_eps > 0, so every step has it.
pub struct Heun {
    pub steps: usize,
}

impl Sampler for Heun {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        heun_step(p, t, t_next, out);
    }
}

/// EDM's churn parameters (Karras et al. 2022, Algorithm 2): S_churn, S_tmin, S_tmax, S_noise.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Churn {
    pub churn: f64,
    pub s_tmin: f64,
    pub s_tmax: f64,
    pub s_noise: f64,
}

impl Default for Churn {
    /// EDM's ImageNet-64 values (Table 5).
    fn default() -> Self {
        Churn { churn: 40.0, s_tmin: 0.05, s_tmax: 50.0, s_noise: 1.003 }
    }
}

impl Churn {
    pub fn is_default(&self) -> bool {
        *self == Churn::default()
    }
}

/// EDM's stochastic sampler (Algorithm 2) on this lab's processes and grid: at each step the
/// noise is first raised from t to t_hat (gamma = min(S_churn / N, sqrt 2 - 1) where
/// S_tmin <= sigma_t <= S_tmax, else 0), by fresh noise, then a Heun step goes from t_hat to
/// t_next. Raising the noise is the forward process from t to t_hat: lambda_hat = lambda_t -
/// ln(1 + gamma) (sigma_hat = (1 + gamma) sigma_t on `ve`, EDM's own), x <- r x + S_noise
/// sqrt(sigma_hat^2 - r^2 sigma_t^2) z with r = alpha_hat / alpha_t (1 on `ve`). Two network
/// evaluations per step. With S_churn = 0 it is `heun`.
pub struct EdmSde {
    pub steps: usize,
    pub churn: Churn,
}

impl Sampler for EdmSde {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        let c = &self.churn;
        let sigma = p.sigma(t);
        let gamma = if (c.s_tmin..=c.s_tmax).contains(&sigma) { (c.churn / self.steps as f64).min(std::f64::consts::SQRT_2 - 1.0) } else { 0.0 };
        let mut t_hat = t;
        if gamma > 0.0 {
            t_hat = p.t_of_lambda(p.lambda(t) - gamma.ln_1p()).max(t).min(p.t_max());
            let r = p.alpha(t_hat) / p.alpha(t);
            let var = p.sigma(t_hat).powi(2) - (r * sigma).powi(2);
            if t_hat > t && var > 0.0 {
                // x <- x - 1 ((1 - r) x + 0 eps) + S_noise sqrt(var) z.
                out.push(Op::Euler { dt: 1.0, f: (1.0 - r) as f32, c: 0.0, noise: Some((c.s_noise * var.sqrt()) as f32) });
            } else {
                t_hat = t;
            }
        }
        heun_step(p, t_hat, t_next, out);
    }
}

/// One Heun step of the probability-flow ODE from t to t_next (see [`Heun`]).
fn heun_step(p: &dyn Process, t: f64, t_next: f64, out: &mut Vec<Op>) {
    let h = t - t_next;
    let (ft, fnx) = (p.f(t), p.f(t_next));
    let (ct, cn) = (0.5 * p.g2(t) / p.sigma(t), 0.5 * p.g2(t_next) / p.sigma(t_next));
    out.push(Op::Eval { src: Buf::X, t });
    out.push(Op::Affine { dst: Buf::Mid, a: (1.0 - h * ft) as f32, c: (h * ct) as f32 });
    out.push(Op::Affine { dst: Buf::X, a: (1.0 - 0.5 * h * (ft + fnx * (1.0 - h * ft))) as f32, c: (0.5 * h * ct * (1.0 - h * fnx)) as f32 });
    out.push(Op::Eval { src: Buf::Mid, t: t_next });
    out.push(Op::Affine { dst: Buf::X, a: 1.0, c: (0.5 * h * cn) as f32 });
}

/// Reverse SDE, Euler–Maruyama: dx = (f x - g^2 s) dt + g dW backwards in t. The last step
/// returns its mean without adding noise (score_sde's noise removal).
pub struct Sde {
    pub steps: usize,
}

impl Sampler for Sde {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, last: bool, out: &mut Vec<Op>) {
        let dt = t - t_next;
        out.push(Op::Eval { src: Buf::X, t });
        out.push(Op::Euler { dt: dt as f32, f: p.f(t) as f32, c: (p.g2(t) / p.sigma(t)) as f32, noise: (!last).then(|| (p.g2(t) * dt).sqrt() as f32) });
    }
}
