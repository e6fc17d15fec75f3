//! eps_hat on the GPU for the samplers: the trained net's forward kernels on large blocks of
//! rows (up to [`SAMPLE_ROWS`] per pass), one engine per net (two-model training splits at t').

use super::{GpuContext, GpuEngine};
use crate::engine::cpu::TimeRange;
use crate::engine::{Engine, EngineError};
use crate::points::Points;
use crate::sample::TrainedNet;
use std::sync::Mutex;

/// Rows of one forward pass when sampling.
pub const SAMPLE_ROWS: usize = 16_384;

pub struct GpuEps {
    nets: Vec<Mutex<GpuEngine>>,
    /// With two nets: the first answers for t < split, the second for t >= split.
    split: Option<f32>,
}

impl GpuEps {
    /// Uploads the trained nets' parameters to forward-only engines of `rows` rows per pass
    /// (at most [`SAMPLE_ROWS`]).
    pub fn new(ctx: &GpuContext, nets: &[TrainedNet], split: Option<f32>, rows: usize) -> Result<GpuEps, String> {
        assert!(!nets.is_empty() && (nets.len() == 1) == split.is_none());
        let rows = rows.clamp(1, SAMPLE_ROWS);
        let dim = nets[0].net.dim();
        // A forward-only engine still takes a data set: one row of zeros.
        let dummy = Points::new(dim, vec![0.0; dim]);
        let engines = nets
            .iter()
            .map(|n| {
                let mut eng = GpuEngine::new(ctx.clone(), n.net.clone(), &dummy, rows, 0.0, TimeRange::default(), 0)?;
                eng.set_params(&n.params);
                Ok(Mutex::new(eng))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(GpuEps { nets: engines, split })
    }

    /// eps_hat for the rows of `x`, all at time `t`.
    pub async fn eval(&self, x: &[f32], t: f32) -> Result<Vec<f32>, EngineError> {
        let i = match self.split {
            Some(s) if t >= s => 1,
            _ => 0,
        };
        // One evaluation at a time per net: the engine's buffers are its own.
        let mut eng = self.nets[i].lock().unwrap();
        eng.eps(x, t).await
    }

    pub fn describe(&self) -> String {
        self.nets[0].lock().unwrap().describe()
    }
}
