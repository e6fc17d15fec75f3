//! A multilayer perceptron as a pure shape over a slice of a flat parameter vector, so several
//! MLPs (main net, skip-connection coefficient nets) share one vector, one optimiser and one
//! upload to the GPU. Activations are row-major `batch x features`.

use super::activation::Activation;
use super::gemm::{View, gemm};
use rand::RngExt;
use rand::rngs::StdRng;

#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// Layer widths, input first, output last: [in, h, ..., h, out].
    pub sizes: Vec<usize>,
    pub activation: Activation,
    /// Where this MLP's parameters start in the flat vector.
    pub offset: usize,
}

/// What the forward pass keeps for the backward pass.
#[derive(Default, Debug)]
pub struct MlpCache {
    /// Output of every layer (post-activation for hidden layers).
    outs: Vec<Vec<f32>>,
    /// Pre-activations, kept only when the activation's derivative needs them.
    pres: Vec<Vec<f32>>,
    grad_a: Vec<f32>,
    grad_b: Vec<f32>,
    batch: usize,
}

impl Mlp {
    pub fn new(sizes: Vec<usize>, activation: Activation, offset: usize) -> Self {
        assert!(sizes.len() >= 2 && sizes.iter().all(|&s| s > 0));
        Mlp { sizes, activation, offset }
    }

    pub fn input_dim(&self) -> usize {
        self.sizes[0]
    }

    pub fn output_dim(&self) -> usize {
        *self.sizes.last().unwrap()
    }

    pub fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }

    pub fn n_params(&self) -> usize {
        self.sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Offsets of layer `l`'s weights (`out x in`, row-major) and bias in the flat vector.
    pub fn layer_offsets(&self, l: usize) -> (usize, usize) {
        let before: usize = self.sizes.windows(2).take(l).map(|w| w[0] * w[1] + w[1]).sum();
        let w = self.offset + before;
        (w, w + self.sizes[l] * self.sizes[l + 1])
    }

    /// PyTorch's default `nn.Linear` initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
    /// weights and biases, as in the paper's code.
    pub fn init(&self, params: &mut [f32], rng: &mut StdRng) {
        for l in 0..self.n_layers() {
            let bound = 1.0 / (self.sizes[l] as f32).sqrt();
            let (w, _) = self.layer_offsets(l);
            let len = self.sizes[l] * self.sizes[l + 1] + self.sizes[l + 1];
            for p in &mut params[w..w + len] {
                *p = rng.random_range(-bound..bound);
            }
        }
    }

    /// Forward pass over `batch` rows of `x`; returns the output (`batch x out`).
    pub fn forward<'c>(&self, params: &[f32], x: &[f32], batch: usize, cache: &'c mut MlpCache) -> &'c [f32] {
        assert_eq!(x.len(), batch * self.input_dim());
        let nl = self.n_layers();
        cache.batch = batch;
        cache.outs.resize_with(nl, Vec::new);
        cache.pres.resize_with(nl, Vec::new);
        for l in 0..nl {
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.layer_offsets(l);
            let (w, b) = (&params[wo..bo], &params[bo..bo + fan_out]);
            let (done, rest) = cache.outs.split_at_mut(l);
            let input: &[f32] = if l == 0 { x } else { &done[l - 1] };
            let out = &mut rest[0];
            out.clear();
            out.reserve(batch * fan_out);
            for _ in 0..batch {
                out.extend_from_slice(b);
            }
            gemm(1.0, View::row_major(input, batch, fan_in), View::transposed(w, fan_out, fan_in), 1.0, out);
            if l + 1 < nl {
                if self.activation.needs_pre() {
                    cache.pres[l].clear();
                    cache.pres[l].extend_from_slice(out);
                }
                self.activation.forward(out);
            }
        }
        &cache.outs[nl - 1]
    }

    /// Backward pass: adds dL/dparams into `grads` (same layout as `params`) given dL/doutput,
    /// and writes dL/dinput into `d_input` when asked. `x` must be the forward pass's input.
    pub fn backward(&self, params: &[f32], x: &[f32], cache: &mut MlpCache, d_out: &[f32], grads: &mut [f32], d_input: Option<&mut [f32]>) {
        let nl = self.n_layers();
        let batch = cache.batch;
        let mut dz = std::mem::take(&mut cache.grad_a);
        let mut dh = std::mem::take(&mut cache.grad_b);
        dz.clear();
        dz.extend_from_slice(d_out);
        for l in (0..nl).rev() {
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.layer_offsets(l);
            let input: &[f32] = if l == 0 { x } else { &cache.outs[l - 1] };
            // dW += dZ^T H_in ; db += column sums of dZ.
            gemm(1.0, View::transposed(&dz, batch, fan_out), View::row_major(input, batch, fan_in), 1.0, &mut grads[wo..bo]);
            let gb = &mut grads[bo..bo + fan_out];
            for row in dz.chunks_exact(fan_out) {
                gb.iter_mut().zip(row).for_each(|(g, &d)| *g += d);
            }
            if l == 0 && d_input.is_none() {
                break;
            }
            // dH_in = dZ W.
            dh.clear();
            dh.resize(batch * fan_in, 0.0);
            gemm(1.0, View::row_major(&dz, batch, fan_out), View::row_major(&params[wo..bo], fan_out, fan_in), 0.0, &mut dh);
            if l == 0 {
                d_input.unwrap().copy_from_slice(&dh);
                break;
            }
            self.activation.backward(&cache.outs[l - 1], &cache.pres[l - 1], &mut dh);
            std::mem::swap(&mut dz, &mut dh);
        }
        cache.grad_a = dz;
        cache.grad_b = dh;
    }
}
