//! Hidden-layer activations, applied in place over whole slices so the compiler vectorises them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
    Silu,
}

impl Activation {
    pub const ALL: [Activation; 3] = [Activation::Tanh, Activation::Relu, Activation::Silu];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Silu => "silu",
        }
    }

    pub fn parse(s: &str) -> Option<Activation> {
        Activation::ALL.into_iter().find(|a| a.name() == s)
    }

    /// Whether the backward pass needs the pre-activation (else the output suffices).
    pub fn needs_pre(self) -> bool {
        matches!(self, Activation::Silu)
    }

    /// h = act(z), in place.
    pub fn forward(self, z: &mut [f32]) {
        match self {
            Activation::Tanh => z.iter_mut().for_each(|v| *v = tanh(*v)),
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Silu => z.iter_mut().for_each(|v| *v *= sigmoid(*v)),
        }
    }

    /// dz = dh * act'(z), in place on `dh`; `h` is the output, `z` the pre-activation (SiLU only).
    pub fn backward(self, h: &[f32], z: &[f32], dh: &mut [f32]) {
        match self {
            Activation::Tanh => dh.iter_mut().zip(h).for_each(|(d, &y)| *d *= 1.0 - y * y),
            Activation::Relu => dh.iter_mut().zip(h).for_each(|(d, &y)| {
                if y <= 0.0 {
                    *d = 0.0
                }
            }),
            Activation::Silu => dh.iter_mut().zip(z).for_each(|(d, &x)| {
                let s = sigmoid(x);
                *d *= s * (1.0 + x * (1.0 - s));
            }),
        }
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh as a [13/6] rational function on the clamped input (the approximation Eigen and XNNPACK
/// use): within ~2 ulp of the true tanh, branch-free, so loops over it vectorise. A libm call
/// per element would cost more than the whole matrix work of a training step.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_7e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = x2 * A13 + A11;
    p = p * x2 + A9;
    p = p * x2 + A7;
    p = p * x2 + A5;
    p = p * x2 + A3;
    p = p * x2 + A1;
    p *= x;
    let mut q = x2 * B6 + B4;
    q = q * x2 + B2;
    q = q * x2 + B0;
    p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_is_accurate_everywhere() {
        let mut worst = 0.0f64;
        let mut x = -12.0f64;
        while x < 12.0 {
            let err = (tanh(x as f32) as f64 - x.tanh()).abs();
            worst = worst.max(err);
            x += 1e-4;
        }
        assert!(worst < 5e-7, "max error {worst}");
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(1e30) <= 1.0 && tanh(-1e30) >= -1.0);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for act in Activation::ALL {
            for &z in &[-2.3f32, -0.4, 0.3, 1.7] {
                let h = 1e-3f32;
                let f = |v: f32| {
                    let mut a = [v];
                    act.forward(&mut a);
                    a[0] as f64
                };
                let fd = (f(z + h) - f(z - h)) / (2.0 * h as f64);
                let mut out = [z];
                act.forward(&mut out);
                let mut d = [1.0f32];
                act.backward(&out, &[z], &mut d);
                assert!((d[0] as f64 - fd).abs() < 2e-3, "{act:?} at {z}: {} vs {fd}", d[0]);
            }
        }
    }
}
