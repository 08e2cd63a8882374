//! The wire format of zkinfer's marketplace, shared by its server (`zkinfer-market`) and its client
//! (`zkinfer-market-client`). No IO beyond reading and writing key files: no HTTP, no database, no async
//! runtime, so a client links none of the server's dependencies.
//!
//! - [`types`]: the records the market serves and the JSON bodies of its requests (also re-exported here);
//! - [`auth`]: identities (ed25519 key pairs, key files) and the request signatures every mutating request
//!   carries, with [`auth::verify_request`], the server's check;
//! - [`bind`]: the binding value a market proof carries as its last public instance;
//! - [`sealed`]: sealed inputs (a hashed-input job's openings encrypted to the claimant alone);
//! - [`wire`]: the error codes of the API's JSON error bodies and their HTTP statuses.
//!
//! The crates of the marketplace:
//!
//! | crate | directory | holds | links |
//! |---|---|---|---|
//! | `zkinfer-market-types` | `market/types/` | this wire format | serde, ed25519, sha2, crypto_box |
//! | `zkinfer-market-client` | `market/client/` | the blocking HTTP client | this, ureq |
//! | `zkinfer-market` | `market/` | the server: ledger, storage, HTTP API, reaper, audit | both, tokio, axum, sqlx |

pub mod auth;
pub mod bind;
pub mod sealed;
pub mod state;
pub mod types;
pub mod wire;

pub use state::{ClaimStatus, IllegalTransition, JobState, SubmissionStatus, UnknownState};
pub use types::*;
pub use wire::{ErrorBody, ErrorCode};
