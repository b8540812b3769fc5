//! Fault points, for tests: the variable `durable_faults` (e.g. `checkout:after:reserve`) makes
//! a run fail before a step, after its work but before its commit, or after it — once per
//! invocation, as a crash there would. Off unless the variable names a point.

use super::invocation::Lease;
use crate::error::{ApiError, ApiResult};

/// The fault points armed for one invocation, and those that already fired.
pub(super) struct Faults {
    workflow: &'static str,
    armed: Vec<String>,
    fired: Vec<String>,
}

/// Where a fault can strike around a step.
#[derive(Clone, Copy)]
pub(super) enum Point {
    /// Before the step's work.
    Before,
    /// After its work (remote effects included), before its transaction commits.
    BeforeCommit,
    /// After it committed.
    After,
}

impl Point {
    fn name(self, step: &str) -> String {
        let at = match self {
            Point::Before => "before",
            Point::BeforeCommit => "before-commit",
            Point::After => "after",
        };
        format!("{at}:{step}")
    }
}

/// The error an injected fault fails the run with (retryable, as a crash is).
fn injected(workflow: &str, point: &str) -> ApiError {
    ApiError::unavailable(
        "fault_injected",
        format!("fault injected at {workflow}:{point}"),
    )
}

impl Faults {
    /// The points `spec` (`durable_faults`) arms for `workflow`; `fired` as recorded.
    pub fn new(workflow: &'static str, spec: &str, fired: Vec<String>) -> Faults {
        Faults {
            workflow,
            armed: parse(spec, workflow),
            fired,
        }
    }

    /// Whether `point` of `step` is armed and has not fired in this invocation.
    pub fn is_armed(&self, point: Point, step: &str) -> bool {
        let name = point.name(step);
        self.armed.contains(&name) && !self.fired.contains(&name)
    }

    /// Records that `point` fired (its only write) and returns the failure it causes.
    pub fn fire(&mut self, lease: &Lease<'_>, point: Point, step: &str) -> ApiResult<ApiError> {
        let name = point.name(step);
        lease.fault_fired(&name)?;
        crate::log::warn(format_args!(
            "fault injected in {} {} at {name}",
            self.workflow, lease.id
        ));
        let e = injected(self.workflow, &name);
        self.fired.push(name);
        Ok(e)
    }
}

/// The points of `spec` (`wf:before:a, wf:after:a, other:before:b`) that name `workflow`.
fn parse(spec: &str, workflow: &str) -> Vec<String> {
    spec.split(',')
        .map(str::trim)
        .filter_map(|f| f.strip_prefix(workflow)?.strip_prefix(':'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_points_are_scoped_to_their_workflow() {
        let spec = "checkout:before:reserve, checkout:after:pay,refund:after:pay,checkoutx:after:a";
        assert_eq!(parse(spec, "checkout"), ["before:reserve", "after:pay"]);
        assert_eq!(parse(spec, "refund"), ["after:pay"]);
        assert!(parse("", "checkout").is_empty());
        let faults = Faults::new("checkout", spec, vec!["after:pay".into()]);
        assert!(faults.is_armed(Point::Before, "reserve"));
        assert!(!faults.is_armed(Point::After, "pay"), "fired already");
        assert!(!faults.is_armed(Point::BeforeCommit, "reserve"));
    }
}
