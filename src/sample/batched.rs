//! Sampling on one thread with an asynchronous, batched eps_hat (the GPU engine's in the
//! browser, where reading the GPU is a future and there are no threads to block): every block
//! of points is a future on that thread, and each network evaluation waits until all blocks have
//! asked for theirs (the samplers make the same calls at the same times in every block); the
//! last to ask awaits one evaluation of all their rows. Each row's eps_hat depends on that row
//! alone, so the samples are the blocks' own: the same noise streams, the same steps, the same
//! numbers as [`super::run_with`] with the same model (natively the same gathering runs a thread
//! per block, [`super::Lockstep`]).

use super::{blocks_of, merge_recording, run_block, uniform_grid, Eval, RunOptions, Sampler, EvalFuture};
use crate::diffusion::Process;
use crate::points::Points;
use crate::sample::Recording;
use std::cell::RefCell;
use std::future::Future;
use std::task::{Poll, Waker};

/// One evaluation shared by every block of a run (see the module).
pub trait BatchEval {
    fn dim(&self) -> usize;
    /// eps_hat(x, t) for this block's rows `x`, into `out`, once every block has asked.
    fn eval<'b>(&'b self, x: &'b [f32], t: f32, out: &'b mut [f32]) -> EvalFuture<'b>;
}

/// The rows asked for at the current evaluation, and the answers of the last one.
#[derive(Default)]
struct Gather {
    /// Evaluations answered so far: a block waits for this to move on.
    generation: u64,
    asked: usize,
    t: f32,
    rows: Vec<f32>,
    answers: Vec<f32>,
    waiting: Vec<Waker>,
}

struct Batcher<F> {
    eval: F,
    dim: usize,
    blocks: usize,
    state: RefCell<Gather>,
}

impl<F, Fut> BatchEval for Batcher<F>
where
    F: Fn(Vec<f32>, f32) -> Fut,
    Fut: Future<Output = Vec<f32>>,
{
    fn dim(&self) -> usize {
        self.dim
    }

    fn eval<'b>(&'b self, x: &'b [f32], t: f32, out: &'b mut [f32]) -> EvalFuture<'b> {
        Box::pin(async move {
            // No borrow of the state is held across an await: the other blocks run meanwhile.
            let (generation, at, last) = {
                let mut st = self.state.borrow_mut();
                if st.asked > 0 {
                    assert_eq!(st.t, t, "blocks out of step: eps asked at t = {t} and t = {}", st.t);
                }
                st.t = t;
                let at = st.rows.len();
                st.rows.extend_from_slice(x);
                st.asked += 1;
                (st.generation, at, st.asked == self.blocks)
            };
            if last {
                let rows = std::mem::take(&mut self.state.borrow_mut().rows);
                let n = rows.len();
                let answers = (self.eval)(rows, t).await;
                assert_eq!(answers.len(), n, "the batched evaluation answered {} values for {n}", answers.len());
                let mut st = self.state.borrow_mut();
                st.answers = answers;
                st.asked = 0;
                st.generation += 1;
                for w in st.waiting.drain(..) {
                    w.wake();
                }
            } else {
                std::future::poll_fn(|cx| {
                    let mut st = self.state.borrow_mut();
                    if st.generation != generation {
                        Poll::Ready(())
                    } else {
                        st.waiting.push(cx.waker().clone());
                        Poll::Pending
                    }
                })
                .await;
            }
            // Every block reads its answers before it can ask again, so they stay until then.
            out.copy_from_slice(&self.state.borrow().answers[at..at + x.len()]);
        })
    }
}

/// [`super::run_with`] on one thread with `eval(rows, t)`, an asynchronous eps_hat of all the
/// blocks' rows at one time (the GPU engine's forward pass in the browser).
#[allow(clippy::too_many_arguments)]
pub async fn run_batched<F, Fut>(
    sampler: &dyn Sampler,
    eval: F,
    process: &dyn Process,
    init: &Points,
    seed: u64,
    stream: u64,
    opts: &RunOptions<'_>,
) -> (Points, Option<Recording>)
where
    F: Fn(Vec<f32>, f32) -> Fut,
    Fut: Future<Output = Vec<f32>>,
{
    let grid = uniform_grid(sampler.steps(), process.t_max());
    let mut out = init.clone();
    let mut blocks = blocks_of(&mut out, &grid, opts);
    let batcher = Batcher { eval, dim: init.dim, blocks: blocks.len(), state: RefCell::new(Gather::default()) };
    let runs = blocks.iter_mut().enumerate().map(|(b, block)| {
        run_block(sampler, Eval::Batch(&batcher), process, &grid, seed, stream, opts.denoise, b, block)
    });
    futures_util::future::join_all(runs).await;
    let recording = merge_recording(opts, &grid, init.dim, blocks);
    (out, recording)
}
