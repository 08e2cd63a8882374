//! What a buyer and a provider check before trusting an on-chain listing (`zkinfer escrow check-listing`).
//!
//! The escrow pins a listing's verifier code hash and checks at list time that the verifier accepts a proof
//! for the listing's digest and instance count, but it cannot see which model the verifier is of, where the
//! statement splits inputs from outputs, or which ranges the model's inputs have: the settings digest
//! commits to all of it off chain. [`check_listing`] compares what the chain says ([`OnChainListing`]: the
//! listing's fields and the runtime code at its verifier and, in the split layout, its data contract) with
//! what the model's own files say (its settings and the `zkinfer export-evm` output for it), and returns one
//! [`Finding`] per check.
//!
//! Visibilities ([`zkinfer_circuits::visibility`]): a hashed input tensor is one input instance, its
//! Poseidon commitment, whose range is [`COMMITMENT_BITS`] (any field element below r); a job names the
//! commitment and the buyer hands the opening to the provider off chain. The escrow cannot serve a private
//! input (no instance: the provider would choose the input the buyer pays for) nor a hashed or private
//! output (it pays for the outputs submitted on chain: a hashed output is only a commitment, whose opening
//! the provider could withhold once paid; a private one is nothing): [`listing_terms`] refuses such models
//! and [`check_listing`] fails their listings.

use alloy_primitives::{keccak256, Address, B256, U256};
use serde::{Deserialize, Serialize};
use zkinfer_circuits::settings::{IoSpec, Settings};
use zkinfer_circuits::visibility::Visibility;
use zkinfer_evm::export::ExportedCode;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::Chain;

use crate::bind::fr_to_u256;
use crate::error::EscrowError;

/// `ZkinferEscrow.COMMITMENT_BITS`: the `bits` of an input range whose instances are commitments (field
/// elements below r, checked so at `createJob`), one per hashed input tensor. Public ranges have 1 to 64 bits.
pub const COMMITMENT_BITS: u8 = 254;

/// One input range as the contract stores it (`ZkinferEscrow.InputRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeJson {
    /// Consecutive input instances.
    pub count: u32,
    /// Their stored integers lie in `[0, 2^bits)`; [`COMMITMENT_BITS`]: they are commitments (< r).
    pub bits: u8,
}

/// A listing as read from the chain (`getListing`, `getInputRanges`, and `eth_getCode` of the verifier and,
/// for the split layout, of its data contract). Hex fields take an optional `0x`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnChainListing {
    /// `getListing(id).verifierCodehash`: what the escrow pinned when the model was listed.
    pub verifier_codehash: B256,
    /// The runtime code at `getListing(id).verifier` now (`eth_getCode`).
    pub verifier_code: String,
    /// Split layout: the runtime code of the data contract the verifier reads (its address is in the
    /// verifier's code and in its `VerifierData` event).
    #[serde(default)]
    pub data_code: Option<String>,
    /// `getListing(id).settingsDigest` (uint256, decimal or 0x hex).
    pub settings_digest: U256,
    /// `getListing(id).nInputs`.
    pub n_inputs: u32,
    /// `getListing(id).nOutputs`.
    pub n_outputs: u32,
    /// `getInputRanges(id)`.
    pub input_ranges: Vec<RangeJson>,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked ("verifier code", "settings digest", ...).
    pub what: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, in words.
    pub detail: String,
}

/// Every finding; the listing is safe to use only when all passed ([`Verdict::trusted`]).
#[derive(Debug, Clone)]
pub struct Verdict {
    /// One per check, in order.
    pub findings: Vec<Finding>,
    /// Split layout: the data contract address read from the listed verifier's code.
    pub data_address: Option<Address>,
}

impl Verdict {
    /// Whether every check passed.
    pub fn trusted(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }
}

/// What the model's own files say the listing must be.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The model's settings (`settings.json`).
    pub settings: &'a Settings,
    /// The model id of the settings, vk and SRS the buyer trusts.
    pub model_id: &'a str,
    /// `zkinfer export-evm`'s output for the model.
    pub exported: &'a ExportedCode,
    /// Accept a verifier built on a development SRS (not a ceremony's).
    pub allow_dev_srs: bool,
}

/// The input ranges the contract must hold for `settings`: one per input tensor that has instances, in
/// order: a public tensor's element count and its encoding's bits, a hashed tensor's one commitment
/// (`count` 1, [`COMMITMENT_BITS`]); a private tensor has no instance and no range.
pub fn input_ranges(settings: &Settings) -> Vec<RangeJson> {
    settings
        .inputs
        .iter()
        .filter_map(|spec| match spec.visibility {
            Visibility::Public => Some(RangeJson {
                count: u32::try_from(spec.numel()).unwrap_or(u32::MAX),
                bits: u8::try_from(spec.encoding.bits).unwrap_or(u8::MAX),
            }),
            Visibility::Hashed => Some(RangeJson {
                count: 1,
                bits: COMMITMENT_BITS,
            }),
            Visibility::Private => None,
        })
        .collect()
}

/// The instances of one tensor: its elements (public), its commitment (hashed) or none (private).
fn instances(spec: &IoSpec) -> usize {
    match spec.visibility {
        Visibility::Public => spec.numel(),
        Visibility::Hashed => 1,
        Visibility::Private => 0,
    }
}

/// The numbers of input and output instances of `settings` (the statement's split, by visibility): with
/// the digest and the binding value they are `settings.num_instances()`.
pub fn split(settings: &Settings) -> (usize, usize) {
    (
        settings.inputs.iter().map(instances).sum(),
        settings.outputs.iter().map(instances).sum(),
    )
}

/// Why the escrow cannot serve the statement of `settings`, or `None` when it can (see the module docs):
/// every input public or hashed, every output public, at least one input and one output instance.
pub fn unlistable(settings: &Settings) -> Option<String> {
    if let Some(i) = settings
        .inputs
        .iter()
        .find(|i| i.visibility == Visibility::Private)
    {
        return Some(format!(
            "input '{}' is private: it has no instance, so a job could not name the input it pays for (the \
             provider would choose it); compile the inputs public or hashed",
            i.name
        ));
    }
    if let Some(o) = settings
        .outputs
        .iter()
        .find(|o| o.visibility != Visibility::Public)
    {
        return Some(match o.visibility {
            Visibility::Hashed => format!(
                "output '{}' is hashed: the escrow pays for the outputs submitted on chain, and a hashed \
                 output is only a commitment whose opening the provider could withhold once paid; compile \
                 the outputs public",
                o.name
            ),
            _ => format!(
                "output '{}' is private: a proof would state no output for the buyer; compile the outputs \
                 public",
                o.name
            ),
        });
    }
    let (n_in, n_out) = split(settings);
    if n_in == 0 || n_out == 0 {
        return Some(format!(
            "{n_in} input and {n_out} output instances: a listing needs at least one of each"
        ));
    }
    None
}

/// What a listing of a model states besides its verifier, digest and prices: `nInputs`, `nOutputs` and
/// the input ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingTerms {
    /// Input instances (`ListingParams.nInputs`).
    pub n_inputs: u32,
    /// Output instances (`ListingParams.nOutputs`).
    pub n_outputs: u32,
    /// The `InputRange`s, in order.
    pub input_ranges: Vec<RangeJson>,
}

/// The listing terms of `settings` ([`split`], [`input_ranges`]), or [`EscrowError::Unlistable`] for a
/// model the escrow cannot serve ([`unlistable`]: a private input, a hashed or private output).
pub fn listing_terms(settings: &Settings) -> Result<ListingTerms, EscrowError> {
    if let Some(reason) = unlistable(settings) {
        return Err(EscrowError::Unlistable { reason });
    }
    let (n_in, n_out) = split(settings);
    let count = |n: usize| {
        u32::try_from(n).map_err(|_| EscrowError::Unlistable {
            reason: format!("{n} instances"),
        })
    };
    Ok(ListingTerms {
        n_inputs: count(n_in)?,
        n_outputs: count(n_out)?,
        input_ranges: input_ranges(settings),
    })
}

/// Element counts of the inputs and outputs, and one element range per input tensor: what a manifest
/// written by an export that does not count by visibility states (`zkinfer_evm::export` writes
/// `num_inputs`, `num_outputs` and `input_ranges` from element counts).
fn element_split_and_ranges(settings: &Settings) -> ((usize, usize), Vec<RangeJson>) {
    (
        (
            settings.inputs.iter().map(|s| s.numel()).sum(),
            settings.outputs.iter().map(|s| s.numel()).sum(),
        ),
        settings
            .inputs
            .iter()
            .map(|spec| RangeJson {
                count: u32::try_from(spec.numel()).unwrap_or(u32::MAX),
                bits: u8::try_from(spec.encoding.bits).unwrap_or(u8::MAX),
            })
            .collect(),
    )
}

fn parse_code(what: &str, text: &str) -> Result<Vec<u8>, EscrowError> {
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).map_err(|e| EscrowError::BadListing {
        reason: format!("{what} is not hex: {e}"),
    })
}

/// A data contract's runtime code and its address on the scratch chain.
type DataCode = (Vec<u8>, Address);

/// The exported verifier's runtime code and (split layout) its data contract's, deployed on a scratch chain;
/// the data contract's address there.
fn local_runtime(exported: &ExportedCode) -> Result<(Vec<u8>, Option<DataCode>), EscrowError> {
    let mut chain = Chain::new().without_code_size_limit();
    let from = Address::repeat_byte(0xd0);
    chain.fund(from, U256::from(10u64).pow(U256::from(24u64)));
    let verifier = exported.deploy(&mut chain, from)?;
    let code = chain.code(verifier);
    let data = match exported.manifest.layout {
        Layout::Inline => None,
        Layout::Split => {
            // the data contract is the deployer's first creation (nonce 0), the verifier its second
            let at = from.create(0);
            Some((chain.code(at), at))
        }
    };
    Ok((code, data))
}

/// Compares `deployed` with `local` where `local` holds `local_data` (the scratch data contract's address)
/// at some offsets: equal everywhere else, and one address at all of those offsets, which is returned.
fn match_with_address(local: &[u8], local_data: Address, deployed: &[u8]) -> Option<Address> {
    if local.len() != deployed.len() {
        return None;
    }
    let needle = local_data.as_slice();
    let offsets: Vec<usize> = (0..local.len().saturating_sub(19))
        .filter(|&i| &local[i..i + 20] == needle)
        .collect();
    let first = *offsets.first()?;
    let found = Address::from_slice(&deployed[first..first + 20]);
    let mut expected = local.to_vec();
    for &i in &offsets {
        expected[i..i + 20].copy_from_slice(found.as_slice());
    }
    (expected == deployed).then_some(found)
}

/// The findings of a check, in order.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, what: &'static str, ok: bool, detail: String) {
        self.0.push(Finding { what, ok, detail });
    }
}

/// Checks `listing` against what the model's files say (see the module docs).
pub fn check_listing(
    expected: &Expected<'_>,
    listing: &OnChainListing,
) -> Result<Verdict, EscrowError> {
    let m = &expected.exported.manifest;
    let mut findings = Findings::default();
    // the export is of this model
    findings.push(
        "export is of this model",
        m.model_id == expected.model_id,
        format!(
            "manifest model id {}, model {}",
            m.model_id, expected.model_id
        ),
    );
    let data_address = check_code(expected, listing, &mut findings)?;
    check_statement(expected, listing, &mut findings);
    check_srs(expected, &mut findings);
    Ok(Verdict {
        findings: findings.0,
        data_address,
    })
}

/// The verifier's code (and the split layout's data contract) against the export: returns the data
/// contract's address when the split verifier matches.
fn check_code(
    expected: &Expected<'_>,
    listing: &OnChainListing,
    findings: &mut Findings,
) -> Result<Option<Address>, EscrowError> {
    let mut push = |what: &'static str, ok: bool, detail: String| findings.push(what, ok, detail);
    // verifier code: what is at the address now is what the escrow pinned, and it is the export's
    let deployed = parse_code("verifier_code", &listing.verifier_code)?;
    let hash = keccak256(&deployed);
    push(
        "verifier code hash pinned by the escrow",
        !deployed.is_empty() && hash == listing.verifier_codehash,
        format!(
            "code at the verifier hashes to {hash}, the listing pinned {}",
            listing.verifier_codehash
        ),
    );
    let (local, local_data) = local_runtime(expected.exported)?;
    let mut data_address = None;
    match local_data {
        None => push(
            "verifier is the exported verifier (inline layout)",
            deployed == local,
            format!(
                "{} bytes deployed, {} bytes exported, code {}",
                deployed.len(),
                local.len(),
                if deployed == local {
                    "identical"
                } else {
                    "different"
                }
            ),
        ),
        Some((data_runtime, at)) => {
            data_address = match_with_address(&local, at, &deployed);
            push(
                "verifier is the exported verifier (split layout)",
                data_address.is_some(),
                match data_address {
                    Some(a) => format!("identical but for its data contract's address {a}"),
                    None => "the code differs from the export's".to_string(),
                },
            );
            let ok = match &listing.data_code {
                Some(text) => parse_code("data_code", text)? == data_runtime,
                None => false,
            };
            push(
                "data contract holds the exported constants",
                ok,
                if listing.data_code.is_none() {
                    "no data_code given: the split layout needs the data contract's code"
                        .to_string()
                } else if ok {
                    format!("{} bytes, identical", data_runtime.len())
                } else {
                    "its code is not the export's (an empty one refuses every proof)".to_string()
                },
            );
        }
    }

    Ok(data_address)
}

/// The statement the listing pins: the settings digest, the input/output split and the input ranges.
fn check_statement(expected: &Expected<'_>, listing: &OnChainListing, findings: &mut Findings) {
    let s = expected.settings;
    let m = &expected.exported.manifest;
    let mut push = |what: &'static str, ok: bool, detail: String| findings.push(what, ok, detail);
    // the visibilities: which statements the escrow can serve at all
    let why_not = unlistable(s);
    push(
        "visibilities the escrow serves",
        why_not.is_none(),
        why_not.unwrap_or_else(|| {
            let hashed = s
                .inputs
                .iter()
                .filter(|i| i.visibility == Visibility::Hashed)
                .count();
            format!(
                "inputs public or hashed ({hashed} hashed: one commitment instance each), outputs public"
            )
        }),
    );
    // the statement: digest, split and ranges
    let digest = fr_to_u256(&s.digest());
    let manifest_digest =
        zkinfer_circuits::field::fr_from_hex(&m.settings_digest).map(|f| fr_to_u256(&f));
    push(
        "settings digest",
        listing.settings_digest == digest && manifest_digest == Some(digest),
        format!(
            "listing {:#x}, model {digest:#x}, manifest {}",
            listing.settings_digest,
            manifest_digest.map_or("unreadable".to_string(), |d| format!("{d:#x}"))
        ),
    );
    let (n_in, n_out) = split(s);
    // The manifest states the split and ranges by instances, or (an export that does not count by
    // visibility) by elements: either is the model's own, since the export is of this model (model id) and
    // the verifier's instance count, which the split must fill, is checked against the settings' here.
    let (element_split, element_ranges) = element_split_and_ranges(s);
    let manifest_split = (m.num_inputs, m.num_outputs);
    let counts_ok = listing.n_inputs as usize == n_in
        && listing.n_outputs as usize == n_out
        && (manifest_split == (n_in, n_out) || manifest_split == element_split)
        && n_in + n_out + 2 == m.num_instances
        && m.num_instances == s.num_instances();
    push(
        "input/output split",
        counts_ok,
        format!(
            "listing {} inputs + {} outputs, model {n_in} + {n_out} instances, manifest {} + {} (+ digest + binding = {} instances)",
            listing.n_inputs, listing.n_outputs, m.num_inputs, m.num_outputs, m.num_instances
        ),
    );
    let ranges = input_ranges(s);
    let manifest_ranges: Vec<RangeJson> = m
        .input_ranges
        .iter()
        .map(|r| RangeJson {
            count: u32::try_from(r.count).unwrap_or(u32::MAX),
            bits: u8::try_from(r.bits).unwrap_or(u8::MAX),
        })
        .collect();
    push(
        "input ranges",
        listing.input_ranges == ranges
            && (manifest_ranges == ranges || manifest_ranges == element_ranges),
        format!(
            "listing {:?}, model {ranges:?}, manifest {manifest_ranges:?} (bits {COMMITMENT_BITS}: a commitment)",
            listing.input_ranges
        ),
    );
}

/// The SRS the verifier rests on: a ceremony's, or a development one only when the caller accepts it.
fn check_srs(expected: &Expected<'_>, findings: &mut Findings) {
    let m = &expected.exported.manifest;
    // the SRS
    findings.push(
        "ceremony SRS",
        m.ceremony.is_some() || expected.allow_dev_srs,
        match &m.ceremony {
            Some(c) => format!("[τ]₂ of the {c} ceremony"),
            None if expected.allow_dev_srs => {
                "a development SRS (accepted by --allow-dev-srs: its proofs prove nothing to others)".into()
            }
            None => "a development SRS: whoever made it can prove anything".into(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(inputs: &[(usize, Visibility)], outputs: &[(usize, Visibility)]) -> Settings {
        let spec = |(i, &(n, visibility)): (usize, &(usize, Visibility))| {
            let mut s = IoSpec {
                name: format!("t{i}"),
                shape: vec![n],
                visibility,
                ..IoSpec::default()
            };
            s.encoding.bits = 16;
            s
        };
        Settings {
            inputs: inputs.iter().enumerate().map(spec).collect(),
            outputs: outputs.iter().enumerate().map(spec).collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn terms_follow_the_visibilities() {
        use Visibility::*;
        // public: every element, its bits (as before visibilities)
        let public = settings(&[(4, Public)], &[(3, Public)]);
        let t = listing_terms(&public).expect("public terms");
        assert_eq!((t.n_inputs, t.n_outputs), (4, 3));
        assert_eq!(t.input_ranges, vec![RangeJson { count: 4, bits: 16 }]);
        // hashed inputs: one commitment each, between public tensors' ranges
        let mixed = settings(&[(4, Public), (5, Hashed), (2, Hashed)], &[(3, Public)]);
        let t = listing_terms(&mixed).expect("mixed terms");
        assert_eq!((t.n_inputs, t.n_outputs), (6, 3));
        assert_eq!(
            (t.n_inputs + t.n_outputs + 2) as usize,
            mixed.num_instances()
        );
        let c = RangeJson {
            count: 1,
            bits: COMMITMENT_BITS,
        };
        assert_eq!(t.input_ranges, vec![RangeJson { count: 4, bits: 16 }, c, c]);
        // refused: a private input, a hashed or private output
        for (s, word) in [
            (
                settings(&[(4, Hashed), (1, Private)], &[(3, Public)]),
                "input 't1' is private",
            ),
            (
                settings(&[(4, Hashed)], &[(3, Hashed)]),
                "output 't0' is hashed",
            ),
            (
                settings(&[(4, Public)], &[(3, Public), (1, Private)]),
                "output 't1' is private",
            ),
        ] {
            let refused = listing_terms(&s);
            assert!(
                matches!(&refused, Err(EscrowError::Unlistable { reason }) if reason.contains(word)),
                "{word}: {refused:?}"
            );
        }
    }

    #[test]
    fn code_matches_only_with_one_address_at_every_offset() {
        let local_data = Address::repeat_byte(0x11);
        let other = Address::repeat_byte(0x22);
        let mut local = vec![0x60, 0x01];
        local.extend_from_slice(local_data.as_slice());
        local.extend_from_slice(&[0x50, 0x73]);
        local.extend_from_slice(local_data.as_slice());
        let deployed: Vec<u8> = local
            .iter()
            .map(|&b| if b == 0x11 { 0x22 } else { b })
            .collect();
        assert_eq!(
            match_with_address(&local, local_data, &deployed),
            Some(other)
        );
        assert_eq!(
            match_with_address(&local, local_data, &local),
            Some(local_data)
        );
        // two different addresses, another byte, another length
        let mut two = deployed.clone();
        two[2] = 0x33;
        assert_eq!(match_with_address(&local, local_data, &two), None);
        let mut byte = deployed.clone();
        byte[0] = 0x61;
        assert_eq!(match_with_address(&local, local_data, &byte), None);
        assert_eq!(match_with_address(&local, local_data, &deployed[1..]), None);
        // no address in the local code at all
        assert_eq!(match_with_address(&[0x00], local_data, &[0x00]), None);
    }
}
