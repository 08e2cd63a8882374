//! A blocking HTTP client of zkinfer's market API that signs its requests (used by the `zkinfer market`
//! commands, the provider loop and the tests).
//!
//! It links the wire format (`zkinfer-market-types`: the request and response types, identities and
//! signatures) and `ureq`, nothing of the server: no async runtime, no HTTP server, no database driver.
//! The server crate `zkinfer-market` re-exports it as `zkinfer_market::client`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use zkinfer_market_types::auth::{fresh_nonce, system_now, Identity, SignedHeaders};
use zkinfer_market_types::types::*;
use zkinfer_market_types::ErrorCode;

/// The wire format, so that a client user needs this one crate.
pub use zkinfer_market_types::{auth, bind, types, wire};

/// A failed request: the server's status and message, or a transport failure (`status` 0).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", if *status > 0 { format!("HTTP {status} ({code}): ") } else { String::new() })]
pub struct ClientError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub body: Value,
}

impl ClientError {
    fn transport(m: impl Into<String>) -> Self {
        Self {
            status: 0,
            code: "transport".into(),
            message: m.into(),
            body: Value::Null,
        }
    }
    /// Whether the request may not have reached the server (connection refused, reset, timeout).
    pub fn is_transport(&self) -> bool {
        self.status == 0
    }
    /// The server's error code, when it sent a known one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }
}

type R<T> = Result<T, ClientError>;

/// The parameters of `GET /v1/jobs` (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// OPEN, CLAIMED, SETTLED, REFUNDED or CANCELLED.
    pub state: Option<String>,
    pub listing_id: Option<String>,
    pub model_id: Option<String>,
    pub buyer: Option<String>,
    /// Jobs of this account, as buyer or as a provider that claimed them.
    pub party: Option<String>,
    /// The page after this job id.
    pub after: Option<String>,
    /// Page size (the server allows 1 to 500; 100 when not given).
    pub limit: Option<i64>,
    /// Include each job's input.
    pub include_input: bool,
}

impl JobQuery {
    /// The query string (`state=OPEN&limit=10`), values percent-encoded.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut add = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", encode(v)));
            }
        };
        add("state", &self.state);
        add("listing_id", &self.listing_id);
        add("model_id", &self.model_id);
        add("buyer", &self.buyer);
        add("party", &self.party);
        add("after", &self.after);
        if let Some(l) = self.limit {
            parts.push(format!("limit={l}"));
        }
        if self.include_input {
            parts.push("include_input=true".into());
        }
        parts.join("&")
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A market client, optionally with an identity to sign with.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    id: Option<Identity>,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the server at `base` (`http://127.0.0.1:8080`).
    pub fn new(base: &str, id: Option<Identity>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            id,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(120))
                .build(),
        }
    }

    /// The signing identity's account name.
    pub fn key(&self) -> String {
        self.id
            .as_ref()
            .map(Identity::public_hex)
            .unwrap_or_default()
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.id.as_ref()
    }

    /// Sends a request with exactly these body bytes and signed headers (or none): for tests of the
    /// server's checks. Returns the status and the JSON body.
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: Option<&SignedHeaders>,
    ) -> R<(u16, Value)> {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("content-type", "application/json");
        if let Some(h) = headers {
            req = req
                .set(auth::H_KEY, &h.key)
                .set(auth::H_NONCE, &h.nonce)
                .set(auth::H_TIMESTAMP, &h.timestamp.to_string())
                .set(auth::H_SIGNATURE, &h.signature);
        }
        let resp = if method == "GET" {
            req.call()
        } else {
            req.send_bytes(body)
        };
        let resp = match resp {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(ClientError::transport(t.to_string())),
        };
        let status = resp.status();
        let text = resp
            .into_string()
            .map_err(|e| ClientError::transport(e.to_string()))?;
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, v))
    }

    /// Signs a request as this client's identity, with a fresh nonce and the current time.
    pub fn sign(&self, method: &str, path: &str, body: &[u8]) -> R<SignedHeaders> {
        let id = self
            .id
            .as_ref()
            .ok_or_else(|| ClientError::transport("this command needs --key"))?;
        Ok(id.sign(method, path, body, &fresh_nonce(), system_now()))
    }

    fn decode<T: DeserializeOwned>(status: u16, v: Value) -> R<T> {
        if (200..300).contains(&status) {
            serde_json::from_value(v.clone()).map_err(|e| ClientError {
                status,
                code: "decode".into(),
                message: format!("unexpected response: {e}"),
                body: v,
            })
        } else {
            Err(ClientError {
                status,
                code: v
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                message: v
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
                body: v,
            })
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> R<T> {
        let (s, v) = self.send_raw("GET", path, b"", None)?;
        Self::decode(s, v)
    }

    /// A signed GET (e.g. a job's result).
    pub fn get_signed<T: DeserializeOwned>(&self, path: &str) -> R<T> {
        let h = self.sign("GET", path.split('?').next().unwrap_or(path), b"")?;
        let (s, v) = self.send_raw("GET", path, b"", Some(&h))?;
        Self::decode(s, v)
    }

    pub fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> R<T> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::transport(e.to_string()))?;
        let h = self.sign("POST", path, &bytes)?;
        let (s, v) = self.send_raw("POST", path, &bytes, Some(&h))?;
        Self::decode(s, v)
    }

    pub fn info(&self) -> R<Info> {
        self.get("/v1/info")
    }
    pub fn stats(&self) -> R<Stats> {
        self.get("/v1/stats")
    }
    pub fn mint(&self, amount: i64) -> R<Value> {
        self.post(
            "/v1/dev/mint",
            &MintReq {
                account: self.key(),
                amount,
            },
        )
    }
    pub fn advance_clock(&self, secs: i64) -> R<Info> {
        self.post("/v1/dev/clock", &ClockReq { advance_secs: secs })
    }

    /// Lists the model whose verifier artifacts are in `dir` (settings.json, vk.bin, verifier_params.bin).
    #[allow(clippy::too_many_arguments)]
    pub fn list_model(
        &self,
        listing_id: &str,
        dir: &Path,
        price: i64,
        royalty_bps: i64,
        collateral: i64,
        claim_timeout: i64,
    ) -> R<Listing> {
        let rd = |n: &str| {
            std::fs::read(dir.join(n))
                .map(hex::encode)
                .map_err(|e| ClientError::transport(format!("{}: {e}", dir.join(n).display())))
        };
        let req = ListReq {
            owner: self.key(),
            listing_id: listing_id.to_string(),
            settings: rd("settings.json")?,
            vk: rd("vk.bin")?,
            params: rd("verifier_params.bin")?,
            price,
            royalty_bps,
            collateral,
            claim_timeout,
        };
        self.post("/v1/models", &req)
    }
    pub fn models(&self) -> R<Vec<Listing>> {
        self.get("/v1/models")
    }
    pub fn stake(&self, listing_id: &str, amount: i64) -> R<Balances> {
        self.post(
            "/v1/stake",
            &StakeReq {
                provider: self.key(),
                listing_id: listing_id.into(),
                amount,
            },
        )
    }
    pub fn unstake(&self, listing_id: &str, amount: i64) -> R<Balances> {
        self.post(
            "/v1/unstake",
            &StakeReq {
                provider: self.key(),
                listing_id: listing_id.into(),
                amount,
            },
        )
    }
    pub fn balances(&self, key: &str) -> R<Balances> {
        self.get(&format!("/v1/accounts/{key}"))
    }
    /// One page of an identity's ledger entries (earnings, slashes with reasons, escrows, refunds),
    /// oldest first, after entry id `after` (0: from the start).
    pub fn entries(&self, key: &str, after: i64, limit: i64) -> R<Vec<LedgerEntry>> {
        self.get(&format!(
            "/v1/accounts/{}/entries?after={after}&limit={limit}",
            encode(key)
        ))
    }
    /// Minted, burned, treasury and held totals.
    pub fn totals(&self) -> R<Totals> {
        self.get("/v1/totals")
    }
    pub fn create_job(
        &self,
        listing_id: &str,
        input: Value,
        deadline_secs: i64,
        policy: FailurePolicy,
        client_index: &str,
    ) -> R<Created> {
        let req = CreateJobReq {
            buyer: self.key(),
            listing_id: listing_id.into(),
            input,
            commitments: None,
            deadline_secs,
            policy,
            client_index: client_index.into(),
        };
        self.post("/v1/jobs", &req)
    }
    pub fn job(&self, id: &str) -> R<Job> {
        self.get(&format!("/v1/jobs/{id}"))
    }
    pub fn job_result(&self, id: &str) -> R<Job> {
        self.get_signed(&format!("/v1/jobs/{id}/result"))
    }
    /// Jobs matching a query string such as `state=OPEN&listing_id=digits`, with their inputs (unless the
    /// query says `include_input=false`). One page: see [`JobQuery`] for the order and paging.
    pub fn jobs(&self, query: &str) -> R<Vec<Job>> {
        if query.contains("include_input=") {
            self.get(&format!("/v1/jobs?{query}"))
        } else {
            let sep = if query.is_empty() { "" } else { "&" };
            self.get(&format!("/v1/jobs?{query}{sep}include_input=true"))
        }
    }

    /// One page of jobs: most urgent first (deadline, then highest price, then id). The next page is
    /// `JobQuery { after: Some(last.id), ..q }`; a page shorter than the limit is the last.
    pub fn jobs_page(&self, q: &JobQuery) -> R<Vec<Job>> {
        self.get(&format!("/v1/jobs?{}", q.to_query()))
    }

    /// Every job matching `q` (all pages; `q.after` is the starting point).
    pub fn all_jobs(&self, q: &JobQuery) -> R<Vec<Job>> {
        let mut out: Vec<Job> = Vec::new();
        let mut q = q.clone();
        loop {
            let page = self.jobs_page(&q)?;
            let n = page.len();
            let last = page.last().map(|j| j.id.clone());
            out.extend(page);
            match last {
                Some(id) if n as i64 >= q.limit.unwrap_or(100) => q.after = Some(id),
                _ => return Ok(out),
            }
        }
    }
    pub fn cancel(&self, id: &str) -> R<Job> {
        self.post(
            &format!("/v1/jobs/{id}/cancel"),
            &CancelReq { buyer: self.key() },
        )
    }
    pub fn claim(&self, id: &str) -> R<ClaimInfo> {
        self.post(
            &format!("/v1/jobs/{id}/claim"),
            &ClaimReq {
                provider: self.key(),
            },
        )
    }
    pub fn abandon(&self, id: &str, claim_id: &str) -> R<Job> {
        self.post(
            &format!("/v1/jobs/{id}/abandon"),
            &AbandonReq {
                provider: self.key(),
                claim_id: claim_id.into(),
                input_unusable: false,
            },
        )
    }

    /// A job on a hashed-input listing, naming its input by `commitments` (one per input tensor, `0x`
    /// big-endian hex, e.g. from `proof.openings.json`); the price is escrowed at once.
    pub fn create_hashed_job(
        &self,
        listing_id: &str,
        commitments: Vec<String>,
        deadline_secs: i64,
        policy: FailurePolicy,
        client_index: &str,
    ) -> R<Created> {
        let req = CreateJobReq {
            buyer: self.key(),
            listing_id: listing_id.into(),
            input: Value::Null,
            commitments: Some(commitments),
            deadline_secs,
            policy,
            client_index: client_index.into(),
        };
        self.post("/v1/jobs", &req)
    }

    /// The buyer seals `plaintext` (the openings of the job's inputs, compact JSON) to the job's current
    /// claimant and posts it for that claim. Refused here, before anything is sent, when the job has no
    /// claim or the plaintext is over the job's limit.
    pub fn seal_input(&self, job_id: &str, plaintext: &[u8]) -> R<Job> {
        let job = self.job(job_id)?;
        let refuse = |m: String| ClientError {
            status: 0,
            code: "refused".into(),
            message: m,
            body: Value::Null,
        };
        let (Some(claim_id), Some(claimant)) = (job.claim_id.clone(), job.claimant.clone()) else {
            return Err(refuse(format!(
                "job {job_id} is {} with no claimant: seal once a provider has claimed it",
                job.state
            )));
        };
        let limit = job.sealed_max.unwrap_or(0).max(0) as usize;
        let len = plaintext.len() + zkinfer_market_types::sealed::SEAL_OVERHEAD;
        if len > limit {
            return Err(refuse(format!(
                "the sealed input would have {len} bytes, more than job {job_id} takes ({limit})"
            )));
        }
        let sealed = zkinfer_market_types::sealed::seal_to(&claimant, plaintext)
            .map_err(|e| refuse(e.to_string()))?;
        self.post_sealed(job_id, &claim_id, &sealed)
    }

    /// Posts an already sealed input for the claim `claim_id` (what [`Self::seal_input`] sends).
    pub fn post_sealed(&self, job_id: &str, claim_id: &str, sealed: &[u8]) -> R<Job> {
        self.post(
            &format!("/v1/jobs/{job_id}/sealed-input"),
            &SealReq {
                buyer: self.key(),
                claim_id: claim_id.into(),
                sealed: hex::encode(sealed),
            },
        )
    }

    /// The claimant fetches the sealed input of its claim (404 `not_found` until the buyer posts it).
    pub fn sealed_input(&self, job_id: &str) -> R<SealedInput> {
        self.get_signed(&format!("/v1/jobs/{job_id}/sealed-input"))
    }

    /// The claimant fetches and opens the sealed input of its claim: the buyer's plaintext.
    pub fn open_sealed_input(&self, job_id: &str) -> R<Vec<u8>> {
        let s = self.sealed_input(job_id)?;
        let id = self
            .id
            .as_ref()
            .ok_or_else(|| ClientError::transport("no key to open with"))?;
        let bytes = hex::decode(&s.sealed).map_err(|e| ClientError::transport(e.to_string()))?;
        id.open_sealed(&bytes).map_err(|e| ClientError {
            status: 0,
            code: "cannot_open".into(),
            message: e.to_string(),
            body: Value::Null,
        })
    }

    /// The claimant refuses the sealed input of its claim as unusable: the claim is released with its
    /// whole collateral and the job refunded to its buyer.
    pub fn refuse_input(&self, id: &str, claim_id: &str) -> R<Job> {
        self.post(
            &format!("/v1/jobs/{id}/abandon"),
            &AbandonReq {
                provider: self.key(),
                claim_id: claim_id.into(),
                input_unusable: true,
            },
        )
    }

    /// Submits a proof file. A judged submission (valid, invalid, unreadable, superseded) is `Ok` with its
    /// status; a refused request (not the claimant, claim over, ...) is `Err`.
    pub fn submit(&self, id: &str, claim_id: &str, proof: Value) -> R<SubmitResult> {
        let path = format!("/v1/jobs/{id}/submit");
        let body = SubmitReq {
            provider: self.key(),
            claim_id: claim_id.into(),
            proof,
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| ClientError::transport(e.to_string()))?;
        let h = self.sign("POST", &path, &bytes)?;
        let (s, v) = self.send_raw("POST", &path, &bytes, Some(&h))?;
        if v.get("submission_id").is_some() {
            return serde_json::from_value(v.clone()).map_err(|e| ClientError {
                status: s,
                code: "decode".into(),
                message: e.to_string(),
                body: v,
            });
        }
        Self::decode(s, v)
    }
}
