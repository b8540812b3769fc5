//! The named states of invocations and journal entries, and what an ended invocation records:
//! enums with `as_str` / `parse`, so that no status is a string compared across files.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Declares a text-backed enum: `as_str`, `parse`, and every variant in `ALL`.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            /// The text stored in the database and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value for its text.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

named! {
    /// Where an invocation stands.
    Status {
        /// Due to run (new, or retrying after a failed run).
        Pending = "pending",
        /// Suspended on a timer or a signal.
        Waiting = "waiting",
        /// Undoing its steps after a refusal or a cancellation.
        Compensating = "compensating",
        /// Finished with an output.
        Completed = "completed",
        /// Ended by a refusal, every undo done.
        RolledBack = "rolled_back",
        /// Gave up after too many failed runs; an operator may retry or cancel it.
        Failed = "failed",
        /// Cancelled by an operator, every undo done.
        Cancelled = "cancelled",
    }
}

impl Status {
    /// Whether runs still drive it (the engine claims only these).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::Pending | Status::Waiting | Status::Compensating
        )
    }
}

named! {
    /// What a journal entry records.
    EntryKind {
        /// A forward step of the body.
        Step = "step",
        /// A durable timer.
        Timer = "timer",
        /// A wait for a signal.
        Signal = "signal",
        /// The undo of a forward step (`undo:<step>`).
        Undo = "undo",
    }
}

named! {
    /// Where a journal entry stands.
    StepState {
        /// A timer or signal not yet fired.
        Waiting = "waiting",
        /// Finished; replays return its result.
        Done = "done",
        /// Refused; replays return its error. It keeps its undo when its remote effect had
        /// happened before the refusal.
        Failed = "failed",
        /// Failed with an error worth retrying after its remote effect happened: it runs again
        /// on the next run, and keeps its undo in case the invocation is cancelled instead.
        Interrupted = "interrupted",
    }
}

/// How a compensation ends: decided when it starts, by why it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A step refused: the invocation ends `rolled_back`.
    RolledBack,
    /// An operator cancelled it: it ends `cancelled`.
    Cancelled,
}

impl Ending {
    /// The final status.
    pub fn status(self) -> Status {
        match self {
            Ending::RolledBack => Status::RolledBack,
            Ending::Cancelled => Status::Cancelled,
        }
    }
}

/// An API error as the journal keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredError {
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// The sentence for humans.
    pub message: String,
}

impl From<&ApiError> for StoredError {
    fn from(e: &ApiError) -> StoredError {
        StoredError {
            status: e.status,
            code: e.code.to_string(),
            message: e.message.clone(),
        }
    }
}

impl StoredError {
    /// The API error again.
    pub fn to_api(&self) -> ApiError {
        ApiError::new(self.status, self.code.clone(), self.message.clone())
    }
}

/// Why an invocation is being rolled back (kept in `rollback_cause`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Cause {
    /// A step refused with this error.
    Refused {
        /// The refusal.
        error: StoredError,
    },
    /// An operator cancelled the invocation.
    Cancelled,
}

impl Cause {
    /// How the compensation it starts ends.
    pub fn ending(&self) -> Ending {
        match self {
            Cause::Refused { .. } => Ending::RolledBack,
            Cause::Cancelled => Ending::Cancelled,
        }
    }

    /// The error the ended invocation answers with.
    pub fn error(&self) -> StoredError {
        match self {
            Cause::Refused { error } => error.clone(),
            Cause::Cancelled => StoredError {
                status: 409,
                code: "cancelled".into(),
                message: "the invocation was cancelled by an operator".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_text() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(*k));
        }
        for s in StepState::ALL {
            assert_eq!(StepState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Status::parse("done"), None);
        assert_eq!(
            serde_json::to_value(Status::RolledBack).unwrap(),
            "rolled_back"
        );
    }

    #[test]
    fn the_cause_decides_how_a_compensation_ends() {
        let refused = Cause::Refused {
            error: StoredError::from(&ApiError::conflict("out_of_stock", "gone")),
        };
        assert_eq!(refused.ending().status(), Status::RolledBack);
        assert_eq!(refused.error().code, "out_of_stock");
        assert_eq!(Cause::Cancelled.ending().status(), Status::Cancelled);
        assert_eq!(Cause::Cancelled.error().code, "cancelled");
        let stored = serde_json::to_value(&Cause::Cancelled).unwrap();
        assert_eq!(
            serde_json::from_value::<Cause>(stored).unwrap(),
            Cause::Cancelled
        );
    }
}
