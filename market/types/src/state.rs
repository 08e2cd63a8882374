//! The states of jobs, claims and submissions: enums that serialise (JSON and database) as their
//! upper-case names, compare with those names (`job.state == "OPEN"`) and parse back ([`std::str::FromStr`]),
//! each with its state in which a row is created (`INITIAL`) and its transition table (`TRANSITIONS`: every
//! allowed change, with the operation that makes it), which the market checks each change of state against.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A change of state that the enum's transition table (`TRANSITIONS`) does not list: a bug in the market,
/// never the caller's fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} cannot go from {from} to {to} by '{op}'")]
pub struct IllegalTransition {
    pub what: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub op: &'static str,
}

/// The operations that change states, as named in the transition tables.
pub mod op {
    /// A job is created (its initial state).
    pub const CREATE: &str = "create";
    /// A provider claims an open job (the claim's initial state).
    pub const CLAIM: &str = "claim";
    /// The buyer cancels an open job.
    pub const CANCEL: &str = "cancel";
    /// An open job's deadline passed.
    pub const EXPIRE: &str = "expire";
    /// A claim's deadline passed with no submission being verified: slashed.
    pub const TIMEOUT: &str = "timeout";
    /// The claimant gave up: slashed.
    pub const ABANDON: &str = "abandon";
    /// The claimant's proof failed verification: slashed.
    pub const INVALID_PROOF: &str = "invalid proof";
    /// A valid proof was paid.
    pub const SETTLE: &str = "settle";
    /// A proof is received (the submission's initial state).
    pub const SUBMIT: &str = "submit";
    /// A submission is judged.
    pub const JUDGE: &str = "judge";
    /// The server no longer accepts the job's artifacts: claim released, job refunded.
    pub const RELEASE_FROZEN: &str = "release frozen";
    /// A hashed-input job's claim deadline passed before its buyer posted the sealed input: the claim is
    /// released with its whole collateral, the job reopened (or refunded when too little time is left).
    pub const INPUT_NOT_SEALED: &str = "input not sealed";
    /// The claimant of a hashed-input job refused the sealed input posted for it as unusable: the claim is
    /// released with its whole collateral and the job refunded (the market cannot tell who is at fault).
    pub const INPUT_REFUSED: &str = "input refused";
}

/// A state name that is not one of the enum's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} '{got}'")]
pub struct UnknownState {
    pub what: &'static str,
    pub got: String,
}

macro_rules! state_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)*
        }

        impl $name {
            /// Every state.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The name, as served and stored.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }

            /// Whether the transition table lists a change from `self` to `to` (by any operation).
            pub fn can_become(self, to: $name) -> bool {
                Self::TRANSITIONS.iter().any(|&(f, t, _)| f == self && t == to)
            }

            /// `to`, if the transition table lists the change from `self` to `to` by `op`.
            pub fn transition(self, to: $name, op: &'static str) -> Result<$name, IllegalTransition> {
                if Self::TRANSITIONS.contains(&(self, to, op)) {
                    Ok(to)
                } else {
                    Err(IllegalTransition { what: $what, from: self.as_str(), to: to.as_str(), op })
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, UnknownState> {
                match s {
                    $($s => Ok($name::$v),)*
                    _ => Err(UnknownState { what: $what, got: s.to_string() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }
    };
}

state_enum!(
    /// A job's state. SETTLED, REFUNDED and CANCELLED are terminal.
    JobState, "job state", {
        /// Waiting for a provider.
        Open = "OPEN",
        /// A provider holds the active claim.
        Claimed = "CLAIMED",
        /// A valid proof was paid.
        Settled = "SETTLED",
        /// The escrow went back to the buyer (deadline passed, or a failed claim with the refund policy).
        Refunded = "REFUNDED",
        /// The buyer cancelled it while open.
        Cancelled = "CANCELLED",
    }
);

/// A transition: `(from, to, operation)`, the operation one of [`op`]'s names.
pub type Transition<S> = (S, S, &'static str);

impl JobState {
    /// The state a job is created in (by [`op::CREATE`]).
    pub const INITIAL: JobState = JobState::Open;

    /// Every allowed change of a job's state (the market's README shows the same table).
    pub const TRANSITIONS: &'static [Transition<JobState>] = &[
        (Self::Open, Self::Claimed, op::CLAIM),
        (Self::Open, Self::Cancelled, op::CANCEL),
        (Self::Open, Self::Refunded, op::EXPIRE),
        (Self::Open, Self::Refunded, op::RELEASE_FROZEN),
        (Self::Claimed, Self::Open, op::TIMEOUT),
        (Self::Claimed, Self::Open, op::ABANDON),
        (Self::Claimed, Self::Open, op::INVALID_PROOF),
        (Self::Claimed, Self::Refunded, op::TIMEOUT),
        (Self::Claimed, Self::Refunded, op::ABANDON),
        (Self::Claimed, Self::Refunded, op::INVALID_PROOF),
        (Self::Claimed, Self::Refunded, op::RELEASE_FROZEN),
        (Self::Claimed, Self::Settled, op::SETTLE),
        (Self::Claimed, Self::Open, op::INPUT_NOT_SEALED),
        (Self::Claimed, Self::Refunded, op::INPUT_NOT_SEALED),
        (Self::Claimed, Self::Refunded, op::INPUT_REFUSED),
    ];

    /// Whether no further change can happen.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Settled | Self::Refunded | Self::Cancelled)
    }
}

state_enum!(
    /// A claim's status.
    ClaimStatus, "claim status", {
        /// The job's current claim.
        Active = "ACTIVE",
        /// Its proof settled the job.
        Settled = "SETTLED",
        /// Its proof failed verification.
        SlashedInvalid = "SLASHED_INVALID",
        /// Its deadline passed with no submission.
        SlashedTimeout = "SLASHED_TIMEOUT",
        /// Its provider gave up.
        Abandoned = "ABANDONED",
        /// Ended by the market without fault of its provider, collateral returned in full: the server
        /// stopped accepting the job's artifacts (its SRS, k or size), or a hashed-input job's sealed input
        /// never came or was refused as unusable; see the market's README.
        Released = "RELEASED",
    }
);

impl ClaimStatus {
    /// The status a claim is made in (by [`op::CLAIM`]).
    pub const INITIAL: ClaimStatus = ClaimStatus::Active;

    /// Every allowed change of a claim's status (the market's README shows the same table).
    pub const TRANSITIONS: &'static [Transition<ClaimStatus>] = &[
        (Self::Active, Self::Settled, op::SETTLE),
        (Self::Active, Self::SlashedInvalid, op::INVALID_PROOF),
        (Self::Active, Self::SlashedTimeout, op::TIMEOUT),
        (Self::Active, Self::Abandoned, op::ABANDON),
        (Self::Active, Self::Released, op::RELEASE_FROZEN),
        (Self::Active, Self::Released, op::INPUT_NOT_SEALED),
        (Self::Active, Self::Released, op::INPUT_REFUSED),
    ];
}

state_enum!(
    /// A submission's status.
    SubmissionStatus, "submission status", {
        /// Recorded, being verified.
        Pending = "PENDING",
        /// Verified: the job settled.
        Valid = "VALID",
        /// Failed verification: the claim was slashed.
        Invalid = "INVALID",
        /// Unreadable: nothing changed.
        Malformed = "MALFORMED",
        /// The claim had ended before it was judged.
        Superseded = "SUPERSEDED",
    }
);

impl SubmissionStatus {
    /// The status a submission is recorded in (by [`op::SUBMIT`]).
    pub const INITIAL: SubmissionStatus = SubmissionStatus::Pending;

    /// Every allowed change of a submission's status (the market's README shows the same table).
    pub const TRANSITIONS: &'static [Transition<SubmissionStatus>] = &[
        (Self::Pending, Self::Valid, op::JUDGE),
        (Self::Pending, Self::Invalid, op::JUDGE),
        (Self::Pending, Self::Malformed, op::JUDGE),
        (Self::Pending, Self::Superseded, op::JUDGE),
        (Self::Pending, Self::Superseded, op::RELEASE_FROZEN),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>(), Ok(*s));
            assert_eq!(serde_json::to_string(s).ok(), Some(format!("\"{s}\"")));
        }
        for s in ClaimStatus::ALL {
            assert_eq!(s.as_str().parse::<ClaimStatus>(), Ok(*s));
        }
        for s in SubmissionStatus::ALL {
            assert_eq!(s.as_str().parse::<SubmissionStatus>(), Ok(*s));
        }
        assert!("open".parse::<JobState>().is_err());
        assert!(JobState::Open == "OPEN" && "VALID" == SubmissionStatus::Valid);
        assert!(JobState::Refunded.is_terminal() && !JobState::Claimed.is_terminal());
    }

    #[test]
    fn transitions_are_checked() {
        assert_eq!(
            JobState::Open.transition(JobState::Claimed, op::CLAIM),
            Ok(JobState::Claimed)
        );
        assert_eq!(
            JobState::Settled.transition(JobState::Open, op::CLAIM),
            Err(IllegalTransition {
                what: "job state",
                from: "SETTLED",
                to: "OPEN",
                op: "claim"
            })
        );
        // a listed change by an operation that does not make it
        assert!(JobState::Open
            .transition(JobState::Claimed, op::SETTLE)
            .is_err());
        assert!(ClaimStatus::Active.can_become(ClaimStatus::Released));
        assert!(!ClaimStatus::Released.can_become(ClaimStatus::Active));
        assert!(!SubmissionStatus::Valid.can_become(SubmissionStatus::Invalid));
        // terminal states have no way out; no transition is listed twice; no state changes to itself
        for &(f, t, _) in JobState::TRANSITIONS {
            assert!(!f.is_terminal() && f != t);
        }
        fn unique<S: PartialEq + Copy>(t: &[Transition<S>]) -> bool {
            t.iter().enumerate().all(|(i, a)| !t[..i].contains(a))
        }
        assert!(unique(JobState::TRANSITIONS));
        assert!(unique(ClaimStatus::TRANSITIONS));
        assert!(unique(SubmissionStatus::TRANSITIONS));
    }
}
