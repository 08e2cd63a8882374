//! The API's signed-request extractors: every signed handler takes a [`Signed<T>`] (a JSON body) or a
//! [`SignedGet`] (no body) instead of reading the body, the signature headers and the JSON itself.
//!
//! Checks run in this order, each failing with its own error: the body is read (413 over the limit, 400
//! unreadable), the signature headers are parsed and verified against the method, path, body and the
//! server clock (401), the nonce is spent (401 replay; committed at once, so that it stays spent whatever
//! the operation then does: [`crate::nonces`]), then the body is parsed as JSON (400).

use crate::api::ApiError;
use crate::error::MarketError;
use crate::market::{Market, Signer};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use zkinfer_market_types::auth;

/// A verified signed request with a JSON body of type `T`.
#[derive(Debug)]
pub struct Signed<T> {
    /// Who signed it, with the nonce the operation consumes.
    pub signer: Signer,
    /// The parsed body.
    pub body: T,
}

impl<T: DeserializeOwned> FromRequest<Arc<Market>> for Signed<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, market: &Arc<Market>) -> Result<Self, ApiError> {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, market).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                MarketError::BodyLimit(e)
            } else {
                MarketError::UnreadableBody(e)
            }
        })?;
        let signer = verify(market, &method, &path, &headers, &bytes)?;
        market.spend_nonce(&signer).await?;
        let body = serde_json::from_slice(&bytes).map_err(MarketError::MalformedJson)?;
        Ok(Self { signer, body })
    }
}

/// A verified signed request without a body (a signed GET; the signature covers an empty body).
#[derive(Debug)]
pub struct SignedGet(pub Signer);

impl FromRequestParts<Arc<Market>> for SignedGet {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, market: &Arc<Market>) -> Result<Self, ApiError> {
        let signer = verify(market, &parts.method, parts.uri.path(), &parts.headers, b"")?;
        market.spend_nonce(&signer).await?;
        Ok(Self(signer))
    }
}

/// Parses the signature headers and checks them against the request and the server clock.
fn verify(
    market: &Market,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Signer, MarketError> {
    let h = auth::signed_headers(|name| headers.get(name).and_then(|v| v.to_str().ok()))?;
    auth::verify_request(
        &h,
        method.as_str(),
        path,
        body,
        crate::clock::system_now(),
        market.config.auth_skew,
    )?;
    Ok(Signer {
        key: h.key,
        nonce: h.nonce,
        timestamp: h.timestamp,
    })
}
