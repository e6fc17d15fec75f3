//! The probability-flow ODE and reverse SDE samplers (Euler / Euler–Maruyama, SPEC §5).

use super::{Sampler, StepCtx, StepFuture};
use crate::rng;

/// One Euler step of the probability-flow ODE dx/dt = f x - 1/2 g^2 s from t to t_next.
pub(super) async fn ode_euler(x: &mut [f32], t: f64, t_next: f64, ctx: &mut StepCtx<'_>) {
    ctx.eval_eps(x, t).await;
    let p = ctx.process;
    let dt = (t - t_next) as f32;
    let f = p.f(t) as f32;
    // -1/2 g^2 s = +1/2 g^2 eps / sigma.
    let c = (0.5 * p.g2(t) / p.sigma(t)) as f32;
    for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
        *xi -= dt * (f * *xi + c * e);
    }
}

/// Probability-flow ODE, Euler: dx/dt = f x - 1/2 g^2 s, integrated backwards in t.
pub struct Ode {
    pub steps: usize,
}

impl Sampler for Ode {
    fn steps(&self) -> usize {
        self.steps
    }
    fn step<'a>(&'a self, x: &'a mut [f32], t: f64, t_next: f64, _last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(ode_euler(x, t, t_next, ctx))
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
    fn step<'a>(&'a self, x: &'a mut [f32], t: f64, t_next: f64, last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            ctx.eval_eps(x, t).await;
            let p = ctx.process;
            let dt = t - t_next;
            let f = p.f(t) as f32;
            let c = (p.g2(t) / p.sigma(t)) as f32;
            let noise = (p.g2(t) * dt).sqrt() as f32;
            let dt = dt as f32;
            for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
                *xi -= dt * (f * *xi + c * e);
                if !last {
                    *xi += noise * rng::normal(ctx.rng);
                }
            }
        })
    }
}
