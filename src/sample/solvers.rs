//! DPM-Solver-1 (= DDIM with eta = 0) and DPM-Solver-2, exact in the linear part of the ODE and
//! stepping in lambda = log(alpha / sigma) (SPEC §5).

use super::{Sampler, StepCtx};
use crate::diffusion::Process;

/// x <- (alpha_t / alpha_s) x - sigma_t expm1(h) eps, h = lambda_t - lambda_s: one first-order
/// DPM-Solver step from s to t with `eps` evaluated at (x, s).
fn first_order(p: &dyn Process, s: f64, t: f64, x: &[f32], eps: &[f32], out: &mut [f32]) {
    let h = p.lambda(t) - p.lambda(s);
    let a = (p.alpha(t) / p.alpha(s)) as f32;
    let c = (p.sigma(t) * h.exp_m1()) as f32;
    for ((o, &xi), &e) in out.iter_mut().zip(x).zip(eps) {
        *o = a * xi - c * e;
    }
}

/// DDIM (eta = 0), i.e. DPM-Solver-1: one network evaluation per step.
pub struct Ddim {
    pub steps: usize,
}

impl Sampler for Ddim {
    fn name(&self) -> &'static str {
        "ddim"
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn step(&self, x: &mut [f32], t: f64, t_next: f64, _last: bool, ctx: &mut StepCtx) {
        ctx.eval_eps(x, t);
        ctx.tmp.resize(x.len(), 0.0);
        first_order(ctx.process, t, t_next, x, ctx.eps, ctx.tmp);
        x.copy_from_slice(ctx.tmp);
    }
}

/// DPM-Solver-2 with r1 = 1/2: a first-order step to the midpoint u in lambda, then the full
/// step from s with eps evaluated at (u_i, u). Two network evaluations per step.
pub struct Dpm2 {
    pub steps: usize,
}

impl Sampler for Dpm2 {
    fn name(&self) -> &'static str {
        "dpm2"
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn step(&self, x: &mut [f32], s: f64, t: f64, _last: bool, ctx: &mut StepCtx) {
        let p = ctx.process;
        let u = p.t_of_lambda(0.5 * (p.lambda(s) + p.lambda(t)));
        ctx.eval_eps(x, s);
        ctx.tmp.resize(x.len(), 0.0);
        first_order(p, s, u, x, ctx.eps, ctx.tmp);
        let mid = std::mem::take(ctx.tmp);
        ctx.eval_eps(&mid, u);
        *ctx.tmp = mid;
        let h = p.lambda(t) - p.lambda(s);
        let a = (p.alpha(t) / p.alpha(s)) as f32;
        let c = (p.sigma(t) * h.exp_m1()) as f32;
        for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
            *xi = a * *xi - c * e;
        }
    }
}
