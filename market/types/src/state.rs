//! The states of jobs, claims and submissions: enums that serialise (JSON and database) as their
//! upper-case names, compare with those names (`job.state == "OPEN"`) and parse back ([`std::str::FromStr`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

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

impl JobState {
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
        /// stopped accepting the job's artifacts (its SRS, k or size), see the market's README.
        Released = "RELEASED",
    }
);

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
}
