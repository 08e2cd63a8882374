//! What the provider lost while the loop ran, from the market's own ledger: every `slash …` entry
//! debiting one of its accounts since the loop started (abandoned, rejected and timed-out claims alike),
//! so that the loop's exit status never hides a loss it did not see happen.

use zkinfer_market::client::{Client, ClientError};
use zkinfer_market::types::LedgerEntry;

/// Entries per ledger page.
const PAGE: i64 = 500;

/// Every ledger entry of `key` after entry id `after`, oldest first.
fn entries_after(client: &Client, key: &str, after: i64) -> Result<Vec<LedgerEntry>, ClientError> {
    let mut out: Vec<LedgerEntry> = Vec::new();
    let mut cursor = after;
    loop {
        let page = match client.entries(key, cursor, PAGE) {
            Ok(p) => p,
            // an account the market has not seen yet has no entries
            Err(e) if e.status == 404 => return Ok(out),
            Err(e) => return Err(e),
        };
        let Some(last) = page.last().map(|e| e.id) else {
            return Ok(out);
        };
        let full = page.len() as i64 >= PAGE;
        out.extend(page);
        if !full || last <= cursor {
            return Ok(out);
        }
        cursor = last;
    }
}

/// The id of `key`'s latest ledger entry (0 when it has none): where the loop starts counting.
pub(super) fn ledger_mark(client: &Client, key: &str) -> Result<i64, ClientError> {
    Ok(entries_after(client, key, 0)?.last().map_or(0, |e| e.id))
}

/// The collateral slashed from `key` after entry id `mark`.
pub(super) fn slashed_since(client: &Client, key: &str, mark: i64) -> Result<i64, ClientError> {
    Ok(entries_after(client, key, mark)?
        .iter()
        .filter(|e| e.reason.starts_with("slash"))
        .map(|e| e.amount)
        .fold(0i64, i64::saturating_add))
}
