//! How a generated verifier is laid out in contracts.
//!
//! snark-verifier's generator writes one program with every constant inline: the verifying key's fixed and
//! permutation commitments, the SRS points, the domain's roots of unity, the field moduli, each a 33-byte
//! `PUSH32`. Every bundled model's inline verifier fits EIP-170's 24,576 bytes; a circuit with many columns
//! (LeNet-5 at `--logrows 14`) fits only without them. [`Layout::Split`]
//! moves every distinct constant wider than five bytes into a **data contract** (its runtime code is
//! `0x00 ‖ constants`, so calling it stops at once) and has the verifier copy them into memory with one
//! `EXTCODECOPY` and read each with a 5-byte `MLOAD(PUSH3)`. The copy lies just above the memory the program
//! uses ([`GeneratedVerifier::memory_end`], the generator's allocation pointer; every constant address the
//! program reads or writes is checked to be below it), so it costs the least memory-expansion gas. The verifier's constructor takes the data
//! contract's address and refuses any contract whose code hash is not the one it was generated with, and
//! every call checks that hash again before reading (`EXTCODEHASH`, reverting on a mismatch or an empty
//! account): a data contract self-destructed in its creating transaction and re-created at the same
//! CREATE2 address with other constants is refused, so the pair is as fixed as the inline verifier. The
//! data contract's address is internal (no getter: the fallback is the only entry point) and the constructor
//! emits it (`VerifierData`).

use crate::generate::GeneratedVerifier;
use revm::primitives::{keccak256, U256};
use std::collections::BTreeMap;
use thiserror::Error;

/// Where the constants live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One contract, constants inline (snark-verifier's own output).
    Inline,
    /// A verifier contract plus a data contract holding the constants.
    Split,
}

impl Layout {
    /// Both layouts.
    pub const ALL: [Layout; 2] = [Layout::Inline, Layout::Split];

    /// `inline` or `split`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Inline => "inline",
            Layout::Split => "split",
        }
    }
}

/// Why a layout could not be made.
#[derive(Debug, Error)]
pub enum LayoutError {
    /// The generated code does not have the shape this transformation expects (a new snark-verifier?).
    #[error(
        "the generated verifier does not contain `{expected}`: snark-verifier's output changed"
    )]
    Shape {
        /// The text it looked for.
        expected: &'static str,
    },
    /// The program reads or writes memory at or above the end its generator reported: the constants'
    /// copy could not be placed where the program cannot overwrite it.
    #[error(
        "the generated verifier touches memory at {address:#x}, above the end of its memory ({end:#x}): \
         snark-verifier's output changed"
    )]
    Memory {
        /// The address.
        address: u64,
        /// The reported end.
        end: u64,
    },
}

/// A verifier laid out for deployment.
#[derive(Debug, Clone)]
pub struct LaidOut {
    /// The layout.
    pub layout: Layout,
    /// The Solidity source of `Halo2Verifier` (for [`Layout::Split`], its constructor takes the data
    /// contract's address).
    pub solidity: String,
    /// For [`Layout::Split`]: the data contract's runtime code, `0x00 ‖ constants`.
    pub data: Option<Vec<u8>>,
}

/// A token of the source: its byte range and its numeric value, when it is a number literal.
fn number_literals(src: &str) -> Vec<(usize, usize, U256)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let tok = &src[start..i];
            let value = if let Some(h) = tok.strip_prefix("0x") {
                U256::from_str_radix(h, 16).ok()
            } else if tok.bytes().all(|d| d.is_ascii_digit()) {
                U256::from_str_radix(tok, 10).ok()
            } else {
                None
            };
            if let Some(v) = value {
                out.push((start, i, v));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The initcode that deploys `runtime` as a contract's code: `CODECOPY` it to memory and `RETURN` it.
pub fn data_initcode(runtime: &[u8]) -> Vec<u8> {
    // sizes up to 2^24 - 1 bytes (far above any deployable contract)
    let [_, a, b, c] = u32::try_from(runtime.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    // PUSH3 n, DUP1, PUSH1 13, PUSH1 0, CODECOPY, PUSH1 0, RETURN ; then the data
    let mut code = vec![
        0x62, a, b, c, 0x80, 0x60, 13, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}

/// Free words between the program's memory and the constants' copy.
const POOL_MARGIN: u64 = 0x400;

/// The constant addresses the program reads or writes: the literal first argument of every `mload`,
/// `mstore` and `mstore8`.
fn memory_addresses(src: &str, literals: &[(usize, usize, U256)]) -> Vec<u64> {
    literals
        .iter()
        .filter(|(start, _, _)| {
            let before = src[..*start].trim_end();
            ["mload(", "mstore(", "mstore8("]
                .iter()
                .any(|op| before.ends_with(op))
        })
        .map(|(_, _, v)| v.saturating_to::<u64>())
        .collect()
}

const HEADER: &str = "contract Halo2Verifier {\n    fallback(bytes calldata) external returns (bytes memory) {\n        assembly (\"memory-safe\") {";
const START: &str = "let success := true";

/// Lays out a generated verifier.
pub fn lay_out(generated: &GeneratedVerifier, layout: Layout) -> Result<LaidOut, LayoutError> {
    let src = &generated.solidity;
    if layout == Layout::Inline {
        return Ok(LaidOut {
            layout,
            solidity: src.clone(),
            data: None,
        });
    }
    for expected in [HEADER, START] {
        if !src.contains(expected) {
            return Err(LayoutError::Shape { expected });
        }
    }
    let literals = number_literals(src);
    // The constants go above the memory the program uses. Not above its largest small literal: a gate's
    // constant (2^16, 2^24: the Poseidon chip's and the limb lanes' gates) is a literal too, and a copy at
    // 16 MiB costs hundreds of millions of gas in memory expansion (a valid proof then runs out of gas).
    let end = generated.memory_end as u64;
    for address in memory_addresses(src, &literals) {
        if address >= end {
            return Err(LayoutError::Memory { address, end });
        }
    }
    let pool = ((end + 0x1f) & !0x1f) + POOL_MARGIN;
    let mut slots: BTreeMap<U256, usize> = BTreeMap::new();
    let mut order: Vec<U256> = Vec::new();
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for (start, end, v) in literals {
        if v.byte_len() <= 5 {
            continue;
        }
        let slot = *slots.entry(v).or_insert_with(|| {
            order.push(v);
            order.len() - 1
        });
        out.push_str(&src[last..start]);
        out.push_str(&format!("mload({:#x})", pool + 32 * slot as u64));
        last = end;
    }
    out.push_str(&src[last..]);
    let mut data = vec![0u8];
    for v in &order {
        data.extend_from_slice(&v.to_be_bytes::<32>());
    }
    let hash = keccak256(&data);
    let header = format!(
        "contract Halo2Verifier {{
    /// The data contract holding this verifier's constants (verifying key, SRS points, domain constants).
    /// Internal, no getter: a getter's selector would answer calldata that starts with it without verifying.
    address internal immutable VK_DATA;

    /// The data contract this verifier reads and the code hash it requires of it on every call.
    event VerifierData(address indexed vkData, bytes32 codehash);

    constructor(address vkData) {{
        require(vkData.codehash == {hash}, \"not this verifier's data contract\");
        VK_DATA = vkData;
        emit VerifierData(vkData, {hash});
    }}

    fallback(bytes calldata) external returns (bytes memory) {{
        address vkData = VK_DATA;
        assembly (\"memory-safe\") {{"
    );
    // The code hash again on every call: a data contract created and self-destructed in one transaction
    // (EIP-6780 still deletes it) can be re-created at its CREATE2 address with other code; an empty account
    // has hash 0.
    let copy = format!(
        "{START}
            if iszero(eq(extcodehash(vkData), {hash})) {{
                revert(0, 0)
            }}
            extcodecopy(vkData, {pool:#x}, 1, {:#x})",
        32 * order.len()
    );
    let solidity = out.replacen(HEADER, &header, 1).replacen(START, &copy, 1);
    Ok(LaidOut {
        layout,
        solidity,
        data: Some(data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_with_their_values() {
        let l = number_literals("mstore(0x80, add(12, 0xffffffffffffff)) let f_q := 7 x2");
        let v: Vec<u64> = l.iter().map(|(_, _, v)| v.to::<u64>()).collect();
        assert_eq!(v, vec![0x80, 12, 0xffffffffffffff, 7]);
    }

    #[test]
    fn the_split_verifier_checks_its_data_contract_on_every_call_and_has_no_getter() {
        let src = format!(
            "{HEADER}\n            {START}\n            mstore(0x80, 0x1234567890abcdef)\n        }}\n    }}\n}}"
        );
        let g = GeneratedVerifier {
            solidity: src,
            num_instances: 1,
            memory_end: 0xa0,
        };
        let l = lay_out(&g, Layout::Split).expect("split");
        let data = l.data.expect("data");
        assert_eq!(data.len(), 33);
        let hash = keccak256(&data).to_string();
        let call = l.solidity.find("fallback").expect("fallback");
        let check = l
            .solidity
            .find(&format!("if iszero(eq(extcodehash(vkData), {hash}))"))
            .expect("the code hash is checked in the fallback");
        let copy = l.solidity.find("extcodecopy").expect("copy");
        assert!(call < check && check < copy, "{}", l.solidity);
        assert!(l.solidity.contains("address internal immutable VK_DATA"));
        assert!(!l.solidity.contains("public"), "{}", l.solidity);
    }

    fn split(body: &str, memory_end: usize) -> Result<LaidOut, LayoutError> {
        let src = format!("{HEADER}\n            {START}\n{body}\n        }}\n    }}\n}}");
        lay_out(
            &GeneratedVerifier {
                solidity: src,
                num_instances: 1,
                memory_end,
            },
            Layout::Split,
        )
    }

    /// A gate's constant (2^24, a small literal that is no address) does not move the constants' copy: it
    /// lies just above the program's memory (a copy at 16 MiB cost a hashed-input iris verifier 539M gas).
    #[test]
    fn the_constants_lie_above_the_programs_memory_not_above_its_largest_literal() {
        let l = split(
            "mstore(0x80, mulmod(16777216, 0x1234567890abcdef, f_q))\nmstore(0xa0, mload(0x80))",
            0xc0,
        )
        .expect("split");
        let pool = 0xc0 + POOL_MARGIN;
        assert!(
            l.solidity
                .contains(&format!("extcodecopy(vkData, {pool:#x}, 1, 0x20)")),
            "{}",
            l.solidity
        );
        assert!(l.solidity.contains(&format!("mload({pool:#x})")));
        assert!(l.solidity.contains("mulmod(16777216, "));
        // an unaligned end is rounded up to a word
        let l = split("mstore(0x80, 0x1234567890abcdef)", 0xa1).expect("split");
        assert!(l.solidity.contains(&format!(
            "extcodecopy(vkData, {:#x}, 1, 0x20)",
            0xc0 + POOL_MARGIN
        )));
    }

    #[test]
    fn an_address_beyond_the_reported_memory_is_refused() {
        for body in [
            "mstore(0xc0, 0x1234567890abcdef)",
            "mstore(0x80, mload( 0x100))",
            "mstore8(0xc0, 1)",
        ] {
            let refused = split(body, 0xc0);
            assert!(
                matches!(refused, Err(LayoutError::Memory { end: 0xc0, .. })),
                "{body}: {refused:?}"
            );
        }
        // the inline layout is snark-verifier's own output, untouched
        let g = GeneratedVerifier {
            solidity: "mstore(0xc0, 1)".into(),
            num_instances: 1,
            memory_end: 0x80,
        };
        assert!(lay_out(&g, Layout::Inline).is_ok());
    }

    #[test]
    fn data_initcode_returns_the_data() {
        let code = data_initcode(&[0, 1, 2]);
        assert_eq!(code.len(), 16);
        assert_eq!(&code[13..], &[0, 1, 2]);
    }
}
