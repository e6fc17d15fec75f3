//! Reading GPU buffers back without blocking: `map_async` resolves a small future. Natively the
//! caller's `device.poll` drives it; in the browser the event loop does, so the Web Worker
//! never blocks on the GPU.

use super::GpuContext;
use crate::engine::EngineError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Shared {
    done: Option<Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

struct MapFuture(Arc<Mutex<Shared>>);

impl Future for MapFuture {
    type Output = Result<(), wgpu::BufferAsyncError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.0.lock().unwrap();
        match s.done.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Submits `encoder` plus a copy of `count` f32 of `src` (from byte `offset`) into a staging
/// buffer, and returns them once the GPU is done.
pub async fn read_f32(ctx: &GpuContext, encoder: wgpu::CommandEncoder, src: &wgpu::Buffer, offset: u64, count: usize) -> Result<Vec<f32>, EngineError> {
    Ok(read_many(ctx, encoder, &[(src, offset, count)]).await?.pop().unwrap_or_default())
}

/// [`read_f32`] of several ranges `(buffer, byte offset, f32 count)` at once: one submission,
/// one staging buffer, one map (one readback, however many ranges).
pub async fn read_many(ctx: &GpuContext, mut encoder: wgpu::CommandEncoder, ranges: &[(&wgpu::Buffer, u64, usize)]) -> Result<Vec<Vec<f32>>, EngineError> {
    let total: usize = ranges.iter().map(|r| r.2).sum();
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: (total as u64 * 4).max(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut at = 0u64;
    for &(src, offset, count) in ranges {
        if count > 0 {
            encoder.copy_buffer_to_buffer(src, offset, &staging, at, count as u64 * 4);
        }
        at += count as u64 * 4;
    }
    ctx.submit(encoder);
    ctx.counts.add(|c| &c.readbacks);
    let shared = Arc::new(Mutex::new(Shared::default()));
    let cb = shared.clone();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let mut s = cb.lock().unwrap();
        s.done = Some(r);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| EngineError::Device(e.to_string()))?;
    MapFuture(shared).await.map_err(|e| ctx.failure(&format!("reading back from the GPU failed: {e}")))?;
    ctx.check()?;
    let all: Vec<f32> = {
        let view = staging.get_mapped_range(..).map_err(|e| EngineError::Device(format!("{e:?}")))?;
        view.chunks_exact(4).take(total).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    staging.unmap();
    let mut out = Vec::with_capacity(ranges.len());
    let mut start = 0;
    for r in ranges {
        out.push(all[start..start + r.2].to_vec());
        start += r.2;
    }
    Ok(out)
}
