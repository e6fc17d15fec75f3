//! Splitting work over threads natively; serial in wasm (the page runs us in a Web Worker).
//! Work is always cut into the same fixed blocks and reduced in block order, so results do not
//! depend on how many threads ran them.

use std::sync::atomic::{AtomicUsize, Ordering};

static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of worker threads (0 = all available cores).
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    }
}

/// Runs `f(i, &mut items[i])` for every item, spread over the worker threads; items are handed
/// out round-robin so each thread gets a fixed set.
pub fn for_each_mut<T: Send, F>(items: &mut [T], f: F)
where
    F: Fn(usize, &mut T) + Sync,
{
    let t = threads().min(items.len());
    if t <= 1 {
        for (i, it) in items.iter_mut().enumerate() {
            f(i, it);
        }
        return;
    }
    let mut buckets: Vec<Vec<(usize, &mut T)>> = (0..t).map(|_| Vec::new()).collect();
    for (i, it) in items.iter_mut().enumerate() {
        buckets[i % t].push((i, it));
    }
    let f = &f;
    std::thread::scope(|s| {
        let mut rest = buckets.into_iter();
        let mine = rest.next().unwrap();
        for bucket in rest {
            s.spawn(move || {
                for (i, it) in bucket {
                    f(i, it);
                }
            });
        }
        for (i, it) in mine {
            f(i, it);
        }
    });
}

/// Maps `0..n` to results in index order, spread over the worker threads.
pub fn map<R: Send + Default, F>(n: usize, f: F) -> Vec<R>
where
    F: Fn(usize) -> R + Sync,
{
    let mut out: Vec<R> = (0..n).map(|_| R::default()).collect();
    for_each_mut(&mut out, |i, r| *r = f(i));
    out
}
