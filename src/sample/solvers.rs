//! DPM-Solver-1 (= DDIM with eta = 0) and DPM-Solver-2, exact in the linear part of the ODE and
//! stepping in lambda = log(alpha / sigma) (SPEC §5).

use super::{Sampler, StepCtx, StepFuture};
use crate::diffusion::Process;

/// Coefficients (alpha_t / alpha_s, sigma_t expm1(h)), h = lambda_t - lambda_s, of the
/// first-order DPM-Solver step x_t = (alpha_t / alpha_s) x_s - sigma_t expm1(h) eps(x_s, s).
fn first_order(p: &dyn Process, s: f64, t: f64) -> (f32, f32) {
    let h = p.lambda(t) - p.lambda(s);
    ((p.alpha(t) / p.alpha(s)) as f32, (p.sigma(t) * h.exp_m1()) as f32)
}

/// DDIM (eta = 0), i.e. DPM-Solver-1: one network evaluation per step.
pub struct Ddim {
    pub steps: usize,
}

impl Sampler for Ddim {
    fn steps(&self) -> usize {
        self.steps
    }
    fn step<'a>(&'a self, x: &'a mut [f32], t: f64, t_next: f64, _last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            ctx.eval_eps(x, t).await;
            let (a, c) = first_order(ctx.process, t, t_next);
            for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
                *xi = a * *xi - c * e;
            }
        })
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
    fn step<'a>(&'a self, x: &'a mut [f32], s: f64, t: f64, _last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            let p = ctx.process;
            let u = p.t_of_lambda(0.5 * (p.lambda(s) + p.lambda(t)));
            ctx.eval_eps(x, s).await;
            let (a, c) = first_order(p, s, u);
            let mut mid = std::mem::take(ctx.tmp);
            mid.clear();
            mid.extend(x.iter().zip(ctx.eps.iter()).map(|(&xi, &e)| a * xi - c * e));
            ctx.eval_eps(&mid, u).await;
            *ctx.tmp = mid;
            let (a, c) = first_order(p, s, t);
            for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
                *xi = a * *xi - c * e;
            }
        })
    }
}
