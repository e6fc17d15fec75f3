//! Sampling with a batched eps_hat (the GPU engine's): every block of points runs on its own
//! thread, and each network evaluation waits until all blocks have asked for theirs (the
//! samplers make the same sequence of calls at the same times in every block), then one call
//! evaluates all of them. Each row's eps_hat depends on that row alone, so the samples are the
//! blocks' own: the same noise streams, the same steps, only the evaluation batched.

use super::model::EpsModel;
use crate::nn::ScoreNetCache;
use std::sync::{Condvar, Mutex};

struct State {
    generation: u64,
    requests: Vec<Vec<f32>>,
    t: f32,
    results: Vec<Vec<f32>>,
}

/// An [`EpsModel`] that batches the calls of `participants` concurrent blocks into one call of
/// `eval(x, t)` (all rows at one t). Only for [`super::run_with`], which runs every block on its
/// own thread for such a model; a call from anywhere else would wait forever.
pub struct Lockstep<F: Fn(&[f32], f32) -> Vec<f32> + Sync> {
    eval: F,
    dim: usize,
    participants: usize,
    state: Mutex<State>,
    ready: Condvar,
}

impl<F: Fn(&[f32], f32) -> Vec<f32> + Sync> Lockstep<F> {
    pub fn new(eval: F, dim: usize, participants: usize) -> Self {
        assert!(participants > 0);
        Lockstep {
            eval,
            dim,
            participants,
            state: Mutex::new(State { generation: 0, requests: Vec::new(), t: 0.0, results: Vec::new() }),
            ready: Condvar::new(),
        }
    }
}

impl<F: Fn(&[f32], f32) -> Vec<f32> + Sync> EpsModel for Lockstep<F> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn lockstep_blocks(&self) -> Option<usize> {
        Some(self.participants)
    }

    fn eps(&self, x: &[f32], t: f32, out: &mut [f32], _: &mut ScoreNetCache) {
        let mut st = self.state.lock().unwrap();
        let generation = st.generation;
        let idx = st.requests.len();
        if idx > 0 {
            assert_eq!(st.t, t, "blocks out of step: eps asked at t = {t} and t = {}", st.t);
        }
        st.t = t;
        st.requests.push(x.to_vec());
        if st.requests.len() == self.participants {
            let all: Vec<f32> = st.requests.concat();
            let res = (self.eval)(&all, t);
            assert_eq!(res.len(), all.len());
            let mut at = 0;
            let lens: Vec<usize> = st.requests.iter().map(Vec::len).collect();
            st.results = lens.iter().map(|&n| {
                let r = res[at..at + n].to_vec();
                at += n;
                r
            }).collect();
            st.requests.clear();
            st.generation += 1;
            self.ready.notify_all();
        } else {
            while st.generation == generation {
                st = self.ready.wait(st).unwrap();
            }
        }
        out.copy_from_slice(&st.results[idx]);
    }
}
