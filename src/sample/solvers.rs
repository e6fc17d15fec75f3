//! DPM-Solver-1 (= DDIM with eta = 0) and DPM-Solver-2, exact in the linear part of the ODE and
//! stepping in lambda = log(alpha / sigma) (SPEC §5).

use super::Sampler;
use super::ops::{Buf, Op};
use crate::diffusion::Process;

/// The first-order DPM-Solver step from s to t, x_t = (alpha_t / alpha_s) x_s - sigma_t
/// expm1(h) eps(x_s, s) with h = lambda_t - lambda_s, written to `dst`.
fn first_order(p: &dyn Process, s: f64, t: f64, dst: Buf) -> Op {
    let h = p.lambda(t) - p.lambda(s);
    Op::Affine { dst, a: (p.alpha(t) / p.alpha(s)) as f32, c: (p.sigma(t) * h.exp_m1()) as f32 }
}

/// DDIM (eta = 0), i.e. DPM-Solver-1: one network evaluation per step.
pub struct Ddim {
    pub steps: usize,
}

impl Sampler for Ddim {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        out.push(Op::Eval { src: Buf::X, t });
        out.push(first_order(p, t, t_next, Buf::X));
    }
}

/// DPM-Solver-2 with r1 = 1/2: a first-order step to the midpoint u in lambda, then the full
/// step from s with eps evaluated at (u_i, u). Two network evaluations per step.
pub struct Dpm2 {
    pub steps: usize,
}

impl Sampler for Dpm2 {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, s: f64, t: f64, _last: bool, out: &mut Vec<Op>) {
        let u = p.t_of_lambda(0.5 * (p.lambda(s) + p.lambda(t)));
        out.push(Op::Eval { src: Buf::X, t: s });
        out.push(first_order(p, s, u, Buf::Mid));
        out.push(Op::Eval { src: Buf::Mid, t: u });
        out.push(first_order(p, s, t, Buf::X));
    }
}
