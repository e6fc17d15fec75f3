//! Adam (Kingma & Ba), with PyTorch's bias-correction form so runs compare to the reference.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub step: u64,
    m: Vec<f32>,
    v: Vec<f32>,
}

/// Adam's (beta1, beta2, eps): the one home of these numbers, the WGSL kernel's included
/// (`engine::gpu::kernels::constants`).
pub const ADAM: (f32, f32, f32) = (0.9, 0.999, 1e-8);

impl Adam {
    pub fn new(n: usize, lr: f32) -> Self {
        Adam { lr, beta1: ADAM.0, beta2: ADAM.1, eps: ADAM.2, step: 0, m: vec![0.0; n], v: vec![0.0; n] }
    }

    pub fn update(&mut self, params: &mut [f32], grads: &[f32]) {
        self.step += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let bc1 = 1.0 - (b1 as f64).powi(self.step as i32);
        let bc2 = 1.0 - (b2 as f64).powi(self.step as i32);
        let step_size = (self.lr as f64 / bc1) as f32;
        let inv_sqrt_bc2 = (1.0 / bc2.sqrt()) as f32;
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step_size * *m / (v.sqrt() * inv_sqrt_bc2 + self.eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_parameter_by_lr_against_its_gradient_sign() {
        let mut a = Adam::new(3, 0.01);
        let mut p = vec![1.0f32, 1.0, 1.0];
        a.update(&mut p, &[0.5, -2.0, 0.0]);
        assert!((p[0] - 0.99).abs() < 1e-6 && (p[1] - 1.01).abs() < 1e-6 && p[2] == 1.0, "{p:?}");
    }

    #[test]
    fn minimises_a_quadratic() {
        let mut a = Adam::new(2, 0.05);
        let mut p = vec![3.0f32, -2.0];
        for _ in 0..2000 {
            let g = [2.0 * (p[0] - 1.0), 2.0 * (p[1] + 0.5)];
            a.update(&mut p, &g);
        }
        assert!((p[0] - 1.0).abs() < 1e-2 && (p[1] + 0.5).abs() < 1e-2, "{p:?}");
    }
}
