//! Samplers with Langevin MCMC steps: predictor-corrector (ODE Euler predictor + Langevin
//! corrector) and annealed Langevin dynamics over the same noise levels (SPEC §5).

use super::sde_ode::ode_euler;
use super::{Sampler, StepCtx, StepFuture};
use crate::rng;

/// alpha_i = 1 - beta_i dt of SPEC §5, written 1 + 2 f(t) dt so it holds for every process;
/// where the linear process's drift is so steep that this is not positive (t near 1 with
/// coarse steps), its exponential form exp(2 f dt) is used instead.
fn level_alpha(ctx: &StepCtx, t: f64, dt: f64) -> f64 {
    let a = 1.0 + 2.0 * ctx.process.f(t) * dt;
    if a > 0.0 { a } else { (2.0 * ctx.process.f(t) * dt).exp() }
}

/// Mean over the block's rows of the row norms of `v` (rows of `d`).
fn mean_row_norm(v: &[f32], d: usize) -> f64 {
    let rows = v.len() / d;
    let total: f64 = v.chunks_exact(d).map(|r| r.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>().sqrt()).sum();
    total / rows.max(1) as f64
}

/// One Langevin step at time `t` toward p_t: x <- x + e s + sqrt(2e) z with the step size
/// e = 2 alpha (r |z| / |s|)^2, the norms being block means (as score_sde averages over its batch).
async fn langevin_step(x: &mut [f32], t: f64, alpha: f64, snr: f64, ctx: &mut StepCtx<'_>) {
    let d = ctx.dim;
    ctx.eval_eps(x, t).await;
    ctx.tmp.resize(x.len(), 0.0);
    rng::fill_normal(ctx.rng, ctx.tmp);
    let sigma = ctx.process.sigma(t);
    // |s| = |eps_hat| / sigma.
    let grad_norm = mean_row_norm(ctx.eps, d) / sigma;
    let noise_norm = mean_row_norm(ctx.tmp, d);
    if !(grad_norm > 0.0) || !grad_norm.is_finite() {
        return;
    }
    let e = 2.0 * alpha * (snr * noise_norm / grad_norm).powi(2);
    let drift = (e / sigma) as f32; // e * s = -e eps_hat / sigma
    let noise = (2.0 * e).sqrt() as f32;
    for ((xi, &eh), &z) in x.iter_mut().zip(ctx.eps.iter()).zip(ctx.tmp.iter()) {
        *xi += -drift * eh + noise * z;
    }
}

/// Predictor-corrector: `corrector_steps` Langevin steps at t, then an ODE Euler step to t_next.
pub struct Pc {
    pub steps: usize,
    pub snr: f64,
    pub corrector_steps: usize,
}

impl Sampler for Pc {
    fn steps(&self) -> usize {
        self.steps
    }
    fn step<'a>(&'a self, x: &'a mut [f32], t: f64, t_next: f64, _last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            let alpha = level_alpha(ctx, t, t - t_next);
            for _ in 0..self.corrector_steps {
                langevin_step(x, t, alpha, self.snr, ctx).await;
            }
            ode_euler(x, t, t_next, ctx).await;
        })
    }
}

/// Annealed Langevin dynamics: `corrector_steps` Langevin steps at each noise level t_next of
/// the grid, with no predictor between levels.
pub struct Ald {
    pub steps: usize,
    pub snr: f64,
    pub corrector_steps: usize,
}

impl Sampler for Ald {
    fn steps(&self) -> usize {
        self.steps
    }
    fn step<'a>(&'a self, x: &'a mut [f32], t: f64, t_next: f64, _last: bool, ctx: &'a mut StepCtx<'_>) -> StepFuture<'a> {
        Box::pin(async move {
            let alpha = level_alpha(ctx, t, t - t_next);
            for _ in 0..self.corrector_steps {
                langevin_step(x, t_next, alpha, self.snr, ctx).await;
            }
        })
    }
}
