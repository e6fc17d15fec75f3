//! Our own training engine's building blocks: activations, GEMM, composable MLPs over one flat
//! parameter vector, the eps-prediction net with its parameterisations, and Adam.

pub mod activation;
pub mod adam;
pub mod gemm;
pub mod mlp;
pub mod score_net;

pub use activation::Activation;
pub use adam::Adam;
pub use score_net::{Parameterization, ScoreNet, ScoreNetCache, ScoreNetConfig};
