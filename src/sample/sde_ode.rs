//! The probability-flow ODE and reverse SDE samplers (Euler / Euler–Maruyama, SPEC §5).

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
