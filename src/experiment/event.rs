//! What a run tells its caller while it goes (phases, training progress, notes) and how it
//! fails. Below the run, studies and generations alike: each of them uses it, it uses none of
//! them.

use crate::engine::{EngineError, Progress};
use crate::spec::SpecError;
use std::fmt;
use std::ops::ControlFlow;

#[derive(Debug)]
pub enum RunError {
    Spec(SpecError),
    Engine(EngineError),
    /// The caller cancelled before the named phase.
    Cancelled(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Spec(e) => e.fmt(f),
            RunError::Engine(e) => e.fmt(f),
            RunError::Cancelled(phase) => write!(f, "cancelled before {phase}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What the caller hears while an experiment runs.
pub enum Event<'a> {
    Phase(&'a str),
    Training(&'a Progress),
    /// Something the user should know, e.g. a fallback from the GPU to the CPU engine.
    Note(&'a str),
}

impl Event<'_> {
    /// The event as the page's workers post it (the one place it is written):
    /// `{kind: "phase", phase}`, `{kind: "note", text}`, `{kind: "progress", iter, total, loss,
    /// elapsed_s}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Event::Phase(p) => serde_json::json!({"kind": "phase", "phase": p}),
            Event::Note(n) => serde_json::json!({"kind": "note", "text": n}),
            Event::Training(p) => {
                serde_json::json!({"kind": "progress", "iter": p.iter, "total": p.total, "loss": p.loss, "elapsed_s": p.elapsed_s})
            }
        }
    }
}

/// Announces a phase; a caller that breaks cancels before it.
pub fn phase(on_event: &mut dyn FnMut(Event) -> ControlFlow<()>, name: &str) -> Result<(), RunError> {
    match on_event(Event::Phase(name)) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(RunError::Cancelled(name.to_string())),
    }
}
