//! Durable workflows: a multi-step operation runs under an invocation id; every step's result
//! is journaled in the module's own schema **in the same transaction as the step's database
//! effects**, so a step happens exactly once. Re-running an invocation (after an error, a crash,
//! a timeout, a restart) replays finished steps from the journal and continues at the first
//! unfinished one.
//!
//! A workflow is a type implementing [`Workflow`]: a name, a typed input (decoded once, when
//! it starts: bad input is a 4xx before anything is stored), a typed output, and the type of
//! its steps' undo data, an [`Undo`] — usually an enum with one variant per kind of step that
//! needs undoing, each handled by its own arm.
//!
//! - [`Run::step`] runs a step inside a transaction; effects on other modules made in a step
//!   carry [`Step::key`], derived from the invocation and the step, so the callee's idempotency
//!   record makes them exactly-once too. A step records how to undo it with
//!   [`Step::undo_with`] as soon as its effect happened. Its database handle cannot open a
//!   transaction: [`crate::db::Db::transaction`] refuses inside a step (it would commit part of
//!   the step before the step's journal row).
//! - A body stops with [`Stop`]: suspended on a timer or a signal, lease lost (another run owns
//!   the invocation), or failed with an API error. Failures are judged by [`crate::retry`]:
//!   a refusal ends the forward path — the undo of every step whose effect happened (finished,
//!   refused after its remote effect, or interrupted) runs, newest first, each journaled, and
//!   the invocation ends `rolled_back`. Other errors are retried with exponential backoff up to
//!   the workflow's limit; then the invocation is `failed` and waits for an operator to retry
//!   it or cancel it (which undoes the same steps and ends `cancelled`).
//! - [`Run::sleep_until`] and [`Run::signal`] wait durably: the invocation is suspended with its
//!   wake-up time or the signal it waits for; a signal sent before anyone waits is kept.
//! - Wake-ups go through [`crate::wake`]; PostgreSQL is the source of truth, Redis only wakes.
//!
//! Files: [`state`] (the named states), `journal` (the step rows), `invocation` (the
//! invocation row and its state changes), `run` (what a body sees), `engine` (driving
//! invocations), `signals`, `faults` (fault points for tests) and `routes` (the internal routes
//! the durable component calls). A module with workflows lists the `workflow` feature in its
//! migrations (kit's tables, instantiated in its schema) and mounts the routes with
//! [`crate::Router::with_workflows`].

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiResult;

mod engine;
mod faults;
mod invocation;
mod journal;
mod routes;
mod run;
mod signals;
pub mod state;
#[cfg(test)]
mod tests;

pub use engine::{Engine, Outcome, Registered, backoff_ms, register};
pub use run::{Run, Step, Stop};
pub use signals::{signal, wake_now};
pub use state::{Ending, Status};

/// A boxed future borrowing from `'a`.
pub type Local<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A durable workflow.
pub trait Workflow: 'static {
    /// Its name, unique in the module (`checkout`).
    const NAME: &'static str;
    /// Failed runs (errors worth retrying) before the invocation is `failed`.
    const MAX_FAILURES: i32 = 10;
    /// What it starts with.
    type Input: Serialize + DeserializeOwned;
    /// What it ends with.
    type Output: Serialize + DeserializeOwned;
    /// What its steps record to be undone ([`NoUndo`] when nothing is).
    type Undo: Undo;

    /// Runs (or replays) the invocation's steps and returns its output.
    #[expect(
        async_fn_in_trait,
        reason = "components run on one thread: no caller needs the future to be Send"
    )]
    async fn body(run: &mut Run<'_, Self::Undo>, input: Self::Input) -> Result<Self::Output, Stop>;
}

/// Undo data a step records, and how it is undone; runs as a journaled step of its own.
pub trait Undo: Serialize + DeserializeOwned + 'static {
    /// Undoes the step that recorded `self`. Refusing means an operator has to look.
    #[expect(
        async_fn_in_trait,
        reason = "components run on one thread: no caller needs the future to be Send"
    )]
    async fn undo(self, step: &Step<'_, NoUndo>) -> ApiResult<()>;
}

/// The undo data of a workflow whose steps need no undoing; it has no values.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub enum NoUndo {}

impl Undo for NoUndo {
    async fn undo(self, _: &Step<'_, NoUndo>) -> ApiResult<()> {
        match self {}
    }
}
