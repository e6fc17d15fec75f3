//! The probability-flow ODE (Euler, and Heun's second-order method) and reverse SDE
//! (Euler–Maruyama) samplers (SPEC §5).

use super::ops::{Buf, Op};
use super::Sampler;
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
        let h = t - t_next;
        let (ft, fnx) = (p.f(t), p.f(t_next));
        let (ct, cn) = (0.5 * p.g2(t) / p.sigma(t), 0.5 * p.g2(t_next) / p.sigma(t_next));
        out.push(Op::Eval { src: Buf::X, t });
        out.push(Op::Affine { dst: Buf::Mid, a: (1.0 - h * ft) as f32, c: (h * ct) as f32 });
        out.push(Op::Affine { dst: Buf::X, a: (1.0 - 0.5 * h * (ft + fnx * (1.0 - h * ft))) as f32, c: (0.5 * h * ct * (1.0 - h * fnx)) as f32 });
        out.push(Op::Eval { src: Buf::Mid, t: t_next });
        out.push(Op::Affine { dst: Buf::X, a: 1.0, c: (0.5 * h * cn) as f32 });
    }
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
        out.push(Op::Euler {
            dt: dt as f32,
            f: p.f(t) as f32,
            c: (p.g2(t) / p.sigma(t)) as f32,
            noise: (!last).then(|| (p.g2(t) * dt).sqrt() as f32),
        });
    }
}
