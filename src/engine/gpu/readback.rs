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

/// Submits `encoder` plus a copy of `size` bytes of `src` (from `offset`) into a staging buffer,
/// and returns those bytes as f32 once the GPU is done.
pub async fn read_f32(
    ctx: &GpuContext,
    mut encoder: wgpu::CommandEncoder,
    src: &wgpu::Buffer,
    offset: u64,
    count: usize,
) -> Result<Vec<f32>, EngineError> {
    let size = (count * 4) as u64;
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: size.max(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    if size > 0 {
        encoder.copy_buffer_to_buffer(src, offset, &staging, 0, size);
    }
    ctx.queue.submit([encoder.finish()]);
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
    let out = {
        let view = staging.get_mapped_range(..).map_err(|e| EngineError::Device(format!("{e:?}")))?;
        view.chunks_exact(4).take(count).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    staging.unmap();
    Ok(out)
}
