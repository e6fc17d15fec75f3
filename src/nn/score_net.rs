//! The eps-prediction network of SPEC §4: an MLP on [x, t], optionally wrapped in the paper's
//! skip-connection parameterisation eps_hat = c1(t) x + c2(t) N(x, t) (section 6).

use super::activation::Activation;
use super::mlp::{Mlp, MlpCache};
use crate::diffusion::{Precond, Process, ProcessKind, Target};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parameterization {
    /// eps_hat = N(x, t).
    Plain,
    /// eps_hat = sigma_t x + (1 - sigma_t) N(x, t): exact at t = 1 before any training.
    SkipFixed,
    /// eps_hat = c1(t) x + c2(t) N(x, t) with c1, c2 small learned MLPs of t (2 x 30, Tanh).
    SkipLearned,
}

impl Parameterization {
    pub const ALL: [Parameterization; 3] = [Parameterization::Plain, Parameterization::SkipFixed, Parameterization::SkipLearned];

    pub fn name(self) -> &'static str {
        match self {
            Parameterization::Plain => "plain",
            Parameterization::SkipFixed => "skip-fixed",
            Parameterization::SkipLearned => "skip-learned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreNetConfig {
    pub dim: usize,
    /// Number of hidden layers.
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub parameterization: Parameterization,
    pub process: ProcessKind,
    /// What the main MLP is trained to predict (`diffusion::Target`); `forward` still returns
    /// eps_hat, read back through the target's fixed output coefficients.
    #[serde(default, skip_serializing_if = "Target::is_eps")]
    pub target: Target,
    /// EDM's preconditioning (`diffusion::Precond`; `ve` and the x0 target only).
    #[serde(default, skip_serializing_if = "Precond::is_none")]
    pub precond: Precond,
    /// The data's standard deviation s_d of EDM's preconditioning (0 without it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sigma_data: f32,
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

const COEF_WIDTH: usize = 30;

#[derive(Clone, Debug)]
pub struct ScoreNet {
    pub config: ScoreNetConfig,
    main: Mlp,
    coef: Option<[Mlp; 2]>,
    n_params: usize,
}

/// Scratch space of one forward/backward pass; reuse it across calls.
#[derive(Default, Debug)]
pub struct ScoreNetCache {
    input: Vec<f32>,
    t: Vec<f32>,
    main: MlpCache,
    coef: [MlpCache; 2],
    c: [Vec<f32>; 2],
    n_out: Vec<f32>,
    eps: Vec<f32>,
    d_eps: Vec<f32>,
    d_main: Vec<f32>,
    d_c: [Vec<f32>; 2],
    /// Whether the last forward pass returned N itself (no output coefficients).
    raw: bool,
}

impl ScoreNetConfig {
    /// (c1, c2) = (sigma_t, 1 - sigma_t) of the fixed skip connection at time `t` (as the CPU
    /// net, the GPU engine's eps and the GPU samplers all combine it).
    pub fn fixed_skip(&self, t: f32) -> (f32, f32) {
        let s = self.process.sigma(t as f64) as f32;
        (s, 1.0 - s)
    }

    /// The fixed output coefficients (c1, c2) at time `t`, eps_hat = c1 x + c2 N(x, t): the fixed
    /// skip connection's, or those that read eps back from an x0 or v target; None where
    /// eps_hat = N (plain, eps target) or the coefficients are learned. The one place the CPU
    /// net, the GPU engine's eps and the GPU samplers get them.
    pub fn output_coefficients(&self, t: f32) -> Option<(f32, f32)> {
        match self.parameterization {
            Parameterization::SkipFixed => Some(self.fixed_skip(t)),
            Parameterization::SkipLearned => None,
            Parameterization::Plain if self.precond == Precond::Edm => {
                // eps = (x - D) / sigma with D = c_skip x + c_out F (alpha = 1 on ve).
                let s = self.process.sigma(t as f64);
                let (c_skip, c_out, _, _) = Precond::edm(s, self.sigma_data as f64);
                Some((((1.0 - c_skip) / s) as f32, (-c_out / s) as f32))
            }
            Parameterization::Plain => self.target.eps_coefficients(&self.process, t as f64).map(|(a, b)| (a as f32, b as f32)),
        }
    }

    /// (cx0, ceps) of what training regresses the main MLP onto, y = cx0 x_0 + ceps eps; None
    /// where that is eps itself (the eps target, no preconditioning).
    pub fn draw_coefficients(&self, t: f32) -> Option<(f32, f32)> {
        if self.precond == Precond::Edm {
            // F's target (x_0 - c_skip x) / c_out with x = x_0 + sigma eps.
            let s = self.process.sigma(t as f64);
            let (c_skip, c_out, _, _) = Precond::edm(s, self.sigma_data as f64);
            return Some((((1.0 - c_skip) / c_out) as f32, (-c_skip * s / c_out) as f32));
        }
        (!self.target.is_eps()).then(|| {
            let (a, b) = self.target.draw_coefficients(&self.process, t as f64);
            (a as f32, b as f32)
        })
    }

    /// What the main MLP sees of a row at time `t`: (c_in, its time input), its input being
    /// [c_in x, time input]. (1, t) but under EDM's preconditioning: (c_in, c_noise).
    pub fn net_input(&self, t: f32) -> (f32, f32) {
        match self.precond {
            Precond::None => (1.0, t),
            Precond::Edm => {
                let (_, _, c_in, c_noise) = Precond::edm(self.process.sigma(t as f64), self.sigma_data as f64);
                (c_in as f32, c_noise as f32)
            }
        }
    }
}

impl ScoreNet {
    pub fn new(config: ScoreNetConfig) -> Self {
        let d = config.dim;
        let mut sizes = vec![d + 1];
        sizes.extend(std::iter::repeat_n(config.width, config.depth));
        sizes.push(d);
        let main = Mlp::new(sizes, config.activation, 0);
        let mut n_params = main.n_params();
        let coef = (config.parameterization == Parameterization::SkipLearned).then(|| {
            [0, 1].map(|_| {
                let m = Mlp::new(vec![1, COEF_WIDTH, COEF_WIDTH, 1], Activation::Tanh, n_params);
                n_params += m.n_params();
                m
            })
        });
        ScoreNet { config, main, coef, n_params }
    }

    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// The MLP N(x, t) (the whole net under the plain parameterisation).
    pub fn main(&self) -> &Mlp {
        &self.main
    }

    pub fn dim(&self) -> usize {
        self.config.dim
    }

    /// The coefficient nets c1(t), c2(t) of the learned skip connection (none otherwise).
    pub fn coef(&self) -> Option<&[Mlp; 2]> {
        self.coef.as_ref()
    }

    pub fn init_params(&self, rng: &mut StdRng) -> Vec<f32> {
        let mut p = vec![0.0; self.n_params];
        self.main.init(&mut p, rng);
        if let Some(c) = &self.coef {
            c.iter().for_each(|m| m.init(&mut p, rng));
        }
        p
    }

    /// eps_hat for `batch` rows of `x` at per-row times `t`; the result stays in the cache.
    pub fn forward<'c>(&self, params: &[f32], x: &[f32], t: &[f32], cache: &'c mut ScoreNetCache) -> &'c [f32] {
        self.forward_as(params, x, t, cache, false)
    }

    /// What training regresses: eps_hat under the eps target, the main MLP's own output N
    /// (the x0 or v prediction) under the others.
    pub fn prediction<'c>(&self, params: &[f32], x: &[f32], t: &[f32], cache: &'c mut ScoreNetCache) -> &'c [f32] {
        self.forward_as(params, x, t, cache, !self.config.target.is_eps())
    }

    /// `raw`: return N itself, not eps_hat.
    fn forward_as<'c>(&self, params: &[f32], x: &[f32], t: &[f32], cache: &'c mut ScoreNetCache, raw: bool) -> &'c [f32] {
        let d = self.dim();
        let batch = t.len();
        assert_eq!(x.len(), batch * d);
        cache.input.clear();
        for (row, &ti) in x.chunks_exact(d).zip(t) {
            if self.config.precond.is_none() {
                cache.input.extend_from_slice(row);
                cache.input.push(ti);
            } else {
                let (c_in, time) = self.config.net_input(ti);
                cache.input.extend(row.iter().map(|v| c_in * v));
                cache.input.push(time);
            }
        }
        cache.t.clear();
        cache.t.extend_from_slice(t);
        let n = self.main.forward(params, &cache.input, batch, &mut cache.main);
        cache.eps.clear();
        cache.raw = raw || (self.config.parameterization == Parameterization::Plain && self.config.target.is_eps());
        if cache.raw {
            cache.eps.extend_from_slice(n);
            return &cache.eps;
        }
        match self.config.parameterization {
            Parameterization::Plain | Parameterization::SkipFixed => {
                (cache.c[0], cache.c[1]) = t.iter().map(|&ti| self.config.output_coefficients(ti).unwrap()).unzip();
            }
            Parameterization::SkipLearned => {
                let coef = self.coef.as_ref().unwrap();
                #[allow(clippy::needless_range_loop)] // reason: k picks one coefficient net across three parallel pairs (coef, cache.coef, cache.c)
                for k in 0..2 {
                    let out = coef[k].forward(params, t, batch, &mut cache.coef[k]);
                    cache.c[k].clear();
                    cache.c[k].extend_from_slice(out);
                }
            }
        }
        cache.n_out.clear();
        cache.n_out.extend_from_slice(n);
        for b in 0..batch {
            let (c1, c2) = (cache.c[0][b], cache.c[1][b]);
            let r = b * d..(b + 1) * d;
            cache.eps.extend(x[r.clone()].iter().zip(&cache.n_out[r]).map(|(&xj, &nj)| c1 * xj + c2 * nj));
        }
        &cache.eps
    }

    /// Backward from dL/d(output) of the last forward pass (eps_hat, or N where that pass
    /// returned N); adds into `grads`.
    pub fn backward(&self, params: &[f32], x: &[f32], d_eps: &[f32], cache: &mut ScoreNetCache, grads: &mut [f32]) {
        let d = self.dim();
        let batch = cache.t.len();
        let mut d_main = std::mem::take(&mut cache.d_main);
        d_main.clear();
        if cache.raw {
            d_main.extend_from_slice(d_eps);
        } else {
            for b in 0..batch {
                let c2 = cache.c[1][b];
                d_main.extend(d_eps[b * d..(b + 1) * d].iter().map(|g| g * c2));
            }
        }
        self.main.backward(params, &cache.input, &mut cache.main, &d_main, grads, None);
        cache.d_main = d_main;
        if let Some(coef) = &self.coef {
            // d c1 = <d_eps, x>, d c2 = <d_eps, N> per row.
            #[allow(clippy::needless_range_loop)] // reason: k picks one coefficient net across four parallel pairs (coef, x or N, cache.d_c, cache.coef)
            for k in 0..2 {
                let other: &[f32] = if k == 0 { x } else { &cache.n_out };
                cache.d_c[k].clear();
                for b in 0..batch {
                    let r = b * d..(b + 1) * d;
                    cache.d_c[k].push(d_eps[r.clone()].iter().zip(&other[r]).map(|(a, b)| a * b).sum());
                }
                let t = &cache.t;
                coef[k].backward(params, t, &mut cache.coef[k], &cache.d_c[k], grads, None);
            }
        }
    }

    /// Denoising score matching (SPEC §4) on one shard of a batch: returns the sum over the
    /// shard's rows of ||prediction - target||^2 (||eps_hat - eps||^2 under the eps target; `eps`
    /// holds the rows' targets) and adds `scale` times its gradient into `grads`. With
    /// `scale = 1 / total_batch` the gradients of all shards add up to the batch mean's.
    #[allow(clippy::too_many_arguments)]
    pub fn dsm_loss_grad(&self, params: &[f32], xt: &[f32], t: &[f32], eps: &[f32], scale: f32, cache: &mut ScoreNetCache, grads: &mut [f32]) -> f64 {
        self.prediction(params, xt, t, cache);
        let mut d_eps = std::mem::take(&mut cache.d_eps);
        d_eps.clear();
        let mut loss = 0.0f64;
        for (e_hat, e) in cache.eps.iter().zip(eps) {
            let r = e_hat - e;
            loss += (r * r) as f64;
            d_eps.push(2.0 * scale * r);
        }
        self.backward(params, xt, &d_eps, cache, grads);
        cache.d_eps = d_eps;
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{self, Stream};

    fn loss_f64(net: &ScoreNet, p: &[f32], x: &[f32], t: &[f32], e: &[f32]) -> f64 {
        let mut c = ScoreNetCache::default();
        let out = net.prediction(p, x, t, &mut c);
        out.iter().zip(e).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / t.len() as f64
    }

    /// Hand-written backward passes against central finite differences, for every activation
    /// and parameterisation, on a small net so f32 round-off stays below the tolerance.
    #[test]
    fn gradients_match_finite_differences() {
        let outputs = Parameterization::ALL.map(|p| (p, Target::Eps)).into_iter().chain([Target::X0, Target::V].map(|t| (Parameterization::Plain, t)));
        for act in Activation::ALL {
            for (param, target) in outputs.clone() {
                let net = ScoreNet::new(ScoreNetConfig {
                    dim: 2,
                    depth: 2,
                    width: 7,
                    activation: act,
                    parameterization: param,
                    process: ProcessKind::Vp,
                    target,
                    precond: Precond::None,
                    sigma_data: 0.0,
                });
                let mut r = rng::stream(11, Stream::Init, 0);
                let p = net.init_params(&mut r);
                let b = 9;
                let mut x = vec![0.0; b * 2];
                let mut e = vec![0.0; b * 2];
                rng::fill_normal(&mut r, &mut x);
                rng::fill_normal(&mut r, &mut e);
                let t: Vec<f32> = (0..b).map(|i| 0.05 + 0.1 * i as f32).collect();
                let mut g = vec![0.0; p.len()];
                let mut c = ScoreNetCache::default();
                let sum = net.dsm_loss_grad(&p, &x, &t, &e, 1.0 / b as f32, &mut c, &mut g);
                assert!((sum / b as f64 - loss_f64(&net, &p, &x, &t, &e)).abs() < 1e-6);
                let mut checked = 0;
                for i in (0..p.len()).step_by(5) {
                    let h = 1e-2f32;
                    let mut pp = p.clone();
                    pp[i] += h;
                    let up = loss_f64(&net, &pp, &x, &t, &e);
                    pp[i] -= 2.0 * h;
                    let down = loss_f64(&net, &pp, &x, &t, &e);
                    let fd = (up - down) / (2.0 * h as f64);
                    let err = (g[i] as f64 - fd).abs();
                    assert!(err < 2e-3 + 2e-2 * fd.abs(), "{act:?}/{param:?}/{target:?} param {i}: analytic {} fd {fd}", g[i]);
                    checked += 1;
                }
                assert!(checked > 10);
            }
        }
    }

    #[test]
    fn skip_fixed_is_exact_at_t_one_for_standard_normal_noise() {
        // At t = 1, x_t ~ N(0, I) up to alpha_1 ~ 0.0066, so eps ~ x and sigma_1 ~ 1.
        let net = ScoreNet::new(ScoreNetConfig {
            dim: 2,
            depth: 1,
            width: 4,
            activation: Activation::Tanh,
            parameterization: Parameterization::SkipFixed,
            process: ProcessKind::Vp,
            target: Target::Eps,
            precond: Precond::None,
            sigma_data: 0.0,
        });
        let p = net.init_params(&mut rng::stream(1, Stream::Init, 0));
        let x = [0.3f32, -1.2];
        let mut c = ScoreNetCache::default();
        let out = net.forward(&p, &x, &[1.0], &mut c).to_vec();
        assert!((out[0] - 0.3).abs() < 1e-3 && (out[1] + 1.2).abs() < 1e-3, "{out:?}");
    }

    /// Under the x0 and v targets the net's eps_hat is read back from its prediction N through
    /// the target's coefficients, and training regresses N itself.
    #[test]
    fn x0_and_v_nets_return_eps_read_back_from_their_prediction() {
        for target in [Target::X0, Target::V] {
            for process in ProcessKind::ALL {
                let net = ScoreNet::new(ScoreNetConfig {
                    dim: 2,
                    depth: 1,
                    width: 5,
                    activation: Activation::Tanh,
                    parameterization: Parameterization::Plain,
                    process,
                    target,
                    precond: Precond::None,
                    sigma_data: 0.0,
                });
                let p = net.init_params(&mut rng::stream(3, Stream::Init, 0));
                let x = [0.3f32, -1.2, 0.8, 0.1];
                let t = [0.2f32, 0.7];
                let mut c = ScoreNetCache::default();
                let n = net.prediction(&p, &x, &t, &mut c).to_vec();
                let eps = net.forward(&p, &x, &t, &mut c).to_vec();
                for r in 0..2 {
                    let (c1, c2) = target.eps_coefficients(&process, t[r] as f64).unwrap();
                    for k in 0..2 {
                        let want = c1 as f32 * x[2 * r + k] + c2 as f32 * n[2 * r + k];
                        assert!((eps[2 * r + k] - want).abs() < 1e-5 * (1.0 + want.abs()), "{target:?} {process:?}");
                    }
                }
                assert_ne!(n, eps);
            }
        }
    }

    /// EDM's preconditioning reads back the eps of any draw from its own target, on `ve`: the
    /// target (x_0 - c_skip x) / c_out and eps = (x - c_skip x - c_out F) / sigma invert each
    /// other, and the net sees [c_in x, ln(sigma) / 4].
    #[test]
    fn edm_preconditioning_reads_back_the_noise_of_its_target() {
        let config = ScoreNetConfig {
            dim: 1,
            depth: 1,
            width: 4,
            activation: Activation::Tanh,
            parameterization: Parameterization::Plain,
            process: ProcessKind::Ve,
            target: Target::X0,
            precond: Precond::Edm,
            sigma_data: 0.7,
        };
        for &t in &[1e-3f32, 0.1, 0.5, 0.9, 1.0] {
            let s = ProcessKind::Ve.sigma(t as f64);
            let (x0, eps) = (0.4f64, -1.1f64);
            let x = x0 + s * eps;
            let (cx0, ceps) = config.draw_coefficients(t).unwrap();
            let y = cx0 as f64 * x0 + ceps as f64 * eps;
            let (c1, c2) = config.output_coefficients(t).unwrap();
            let back = c1 as f64 * x + c2 as f64 * y;
            assert!((back - eps).abs() < 2e-5 * (1.0 + x.abs() / s), "t={t}: {back} vs {eps}");
            let (c_in, time) = config.net_input(t);
            assert!((c_in as f64 - 1.0 / (s * s + 0.49).sqrt()).abs() < 1e-6 && (time as f64 - s.ln() / 4.0).abs() < 1e-6);
        }
    }
}
