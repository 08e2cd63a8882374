//! The split layout's data contract cannot change under a deployed verifier, no public function answers in
//! place of verification, and neither layout accepts a non-canonical scalar word (value + r).
//!
//! The metamorphic attack: a factory CREATE2s the data contract with an initcode that self-destructs (by
//! `DELEGATECALL` to a contract running `SELFDESTRUCT`) and then returns the right constants; the verifier is
//! deployed against it in the same transaction, its constructor sees the right code hash, and the transaction's
//! end deletes the data contract (EIP-6780 still deletes a contract created in the same transaction; the
//! chain runs Prague rules). The factory then re-creates it at the same address with both G2 points zeroed,
//! where a pairing check passes for any proof. The verifier must refuse every call from then on, and while the
//! account is empty.
//!
//! Each test also runs a control: the verifier with the defence edited out (the code as it was before), which
//! the same attack passes.

mod common;

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::{Coordinates, CurveAffine};
use std::sync::OnceLock;
use zkinfer_evm::contracts::{build, CompiledVerifier};
use zkinfer_evm::generate::encode_calldata;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Address, Chain, Outcome, U256};
use zkinfer_evm::solc::{Optimizer, Solc, Source};
use zkinfer_verifier::VerifierArtifacts;

/// BN254's scalar field modulus r.
const R: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// The test-only contracts of the metamorphic attack.
const METAMORPH: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

contract Destroyer {
    function destroy() external { selfdestruct(payable(msg.sender)); }
}

contract Morphling {
    constructor() {
        MorphFactory f = MorphFactory(msg.sender);
        if (f.destroyNext()) {
            (bool ok, ) = f.destroyer().delegatecall(abi.encodeWithSignature("destroy()"));
            require(ok, "destroy");
        }
        bytes memory code = f.nextCode();
        assembly { return(add(code, 32), mload(code)) }
    }
}

contract MorphFactory {
    bytes public nextCode;
    bool public destroyNext;
    address public destroyer;

    constructor() { destroyer = address(new Destroyer()); }

    /// One transaction: the data contract (doomed), then the verifier against it.
    function deployPair(bytes calldata dataCode, bytes calldata verifierInit)
        external returns (address data, address verifier)
    {
        nextCode = dataCode;
        destroyNext = true;
        data = address(new Morphling{salt: bytes32(0)}());
        bytes memory init = abi.encodePacked(verifierInit, abi.encode(data));
        assembly { verifier := create(0, add(init, 32), mload(init)) }
        require(verifier != address(0), "verifier");
    }

    /// A later transaction: other code at the same address.
    function recreate(bytes calldata dataCode) external returns (address data) {
        nextCode = dataCode;
        destroyNext = false;
        data = address(new Morphling{salt: bytes32(0)}());
    }
}
"#;

/// iris_mlp's verifier in both layouts and an EVM-transcript proof bound to 0x5eed.
struct Fixture {
    split: CompiledVerifier,
    inline: CompiledVerifier,
    instances: Vec<Fr>,
    proof: Vec<u8>,
    /// Index of the first output instance.
    first_output: usize,
    /// Index of the binding value.
    bind: usize,
    /// The coordinates of `[1]₂` and `[τ]₂` (and of their negations) as 32-byte words.
    g2_words: Vec<U256>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (_tmp, md, input) = common::model_dir("iris_mlp", 0);
        let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
        let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
        let (instances, proof) = common::evm_proof(&md, &input, Fr::from(0x5eed_u64));
        let params = &art.params.params;
        let fq = |x: &Fq| U256::from_le_slice(x.to_repr().as_ref());
        let mut g2_words = Vec::new();
        for p in [params.g2(), params.s_g2()] {
            let c: Coordinates<G2Affine> = Option::from(p.coordinates()).expect("an affine point");
            // the verifier may hold a point or its negation (`-[τ]₂`): y or -y
            for q in [c.x(), c.y(), &-*c.y()] {
                g2_words.push(fq(&q.c0));
                g2_words.push(fq(&q.c1));
            }
        }
        Fixture {
            split: build(&art, Layout::Split, &solc).expect("split builds"),
            inline: build(&art, Layout::Inline, &solc).expect("inline builds"),
            first_output: art.settings.inputs.iter().map(|s| s.numel()).sum(),
            bind: art.settings.bind_instance(),
            instances,
            proof,
            g2_words,
        }
    })
}

/// `v` with its Solidity source edited and recompiled: the controls that show what each defence stops (the
/// code as it was before it).
fn variant(v: &CompiledVerifier, edit: impl Fn(&str) -> String) -> CompiledVerifier {
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let source = edit(&v.laid_out.solidity);
    assert_ne!(source, v.laid_out.solidity, "the edit applies");
    let out = solc
        .compile(
            &[Source::solidity("Halo2Verifier.sol", source.clone())],
            Optimizer::Off,
        )
        .expect("the variant compiles");
    let c = out.contract("Halo2Verifier").expect("Halo2Verifier");
    let mut w = v.clone();
    w.laid_out.solidity = source;
    w.abi = c.abi.clone();
    w.creation = c.creation.clone();
    w.deployed = c.deployed.clone();
    w
}

/// The split verifier without the per-call code-hash check (as generated before it).
fn without_call_check(v: &CompiledVerifier) -> CompiledVerifier {
    variant(v, |src| {
        let start = src
            .find("if iszero(eq(extcodehash(vkData)")
            .expect("the check");
        let end = start + src[start..].find("extcodecopy").expect("the copy");
        format!("{}{}", &src[..start], &src[end..])
    })
}

fn forged_instances(f: &Fixture) -> Vec<Fr> {
    let mut forged = f.instances.clone();
    forged[f.first_output] += Fr::from(1000_u64);
    forged
}

fn word_address(out: &[u8], word: usize) -> Address {
    Address::from_slice(&out[32 * word + 12..32 * word + 32])
}

fn abi_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = U256::from(b.len()).to_be_bytes::<32>().to_vec();
    out.extend_from_slice(b);
    out.resize(32 + b.len().div_ceil(32) * 32, 0);
    out
}

fn selector(sig: &str) -> Vec<u8> {
    zkinfer_evm::runtime::keccak256(sig.as_bytes())[..4].to_vec()
}

/// `f(bytes)` / `f(bytes,bytes)` calldata.
fn call_with_bytes(sig: &str, args: &[&[u8]]) -> Vec<u8> {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for a in args {
        head.extend_from_slice(&U256::from(32 * args.len() + tail.len()).to_be_bytes::<32>());
        tail.extend(abi_bytes(a));
    }
    [selector(sig), head, tail].concat()
}

fn verify(chain: &mut Chain, verifier: Address, instances: &[Fr], proof: &[u8]) -> Outcome {
    chain
        .call(
            address(0xca11),
            verifier,
            &encode_calldata(instances, proof),
            U256::ZERO,
        )
        .expect("runs")
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_recreated_or_empty_data_contract_is_refused_on_every_call() {
    let f = fixture();
    // control: without the per-call check, the swapped data contract accepts a forged proof
    let (mut chain, verifier) = metamorphic_pair(f, &without_call_check(&f.split));
    let forged = verify(&mut chain, verifier, &forged_instances(f), &f.proof);
    assert!(
        forged.is_success(),
        "the attack works on the verifier without the check: {forged}"
    );
    // the generated verifier refuses every call once the data contract changed
    let (mut chain, verifier) = metamorphic_pair(f, &f.split);
    for (what, inst) in [
        ("honest", f.instances.clone()),
        ("forged", forged_instances(f)),
    ] {
        let o = verify(&mut chain, verifier, &inst, &f.proof);
        assert!(!o.is_success(), "swapped data contract: {what} proof: {o}");
    }
    // a forged proof with garbage bytes too
    let o = verify(
        &mut chain,
        verifier,
        &forged_instances(f),
        &vec![7u8; f.proof.len()],
    );
    assert!(!o.is_success(), "swapped data contract: garbage proof: {o}");

    // the same pair deployed honestly accepts the honest proof and refuses the forged one
    let mut honest = Chain::new();
    let d = f
        .split
        .deploy(&mut honest, address(0xde9))
        .expect("deploys");
    assert!(verify(&mut honest, d.address, &f.instances, &f.proof).is_success());
    assert!(!verify(&mut honest, d.address, &forged_instances(f), &f.proof).is_success());
}

/// Deploys `split`'s data contract through the metamorphic factory and the verifier against it in one
/// transaction, checks that every call reverts while the data contract is empty, then re-creates the data
/// contract with both G2 points zeroed; returns the chain and the verifier.
fn metamorphic_pair(f: &Fixture, split: &CompiledVerifier) -> (Chain, Address) {
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let out = solc
        .compile(
            &[Source::solidity("Metamorph.sol", METAMORPH)],
            Optimizer::On { runs: 200 },
        )
        .expect("compiles");
    let factory_init = out
        .contract("MorphFactory")
        .expect("factory")
        .creation
        .clone();
    let mut chain = Chain::new();
    let attacker = address(0xbad);
    let factory = chain
        .deploy(attacker, &factory_init, &[], U256::ZERO)
        .expect("factory deploys")
        .address;
    let data = split.laid_out.data.clone().expect("split data");
    let pair = chain
        .call(
            attacker,
            factory,
            &call_with_bytes("deployPair(bytes,bytes)", &[&data, &split.creation]),
            U256::ZERO,
        )
        .expect("runs");
    assert!(pair.is_success(), "deployPair: {pair}");
    let (data_at, verifier) = (word_address(&pair.output, 0), word_address(&pair.output, 1));
    assert_ne!(chain.code_size(verifier), 0, "the verifier was deployed");

    // the transaction's end deleted the data contract: every call reverts, the honest proof too
    assert_eq!(
        chain.code_size(data_at),
        0,
        "EIP-6780 deleted the data contract"
    );
    for (what, inst) in [
        ("honest", f.instances.clone()),
        ("forged", forged_instances(f)),
    ] {
        let o = verify(&mut chain, verifier, &inst, &f.proof);
        assert!(!o.is_success(), "empty data contract: {what} proof: {o}");
    }

    // re-created at the same address with both G2 points zeroed
    let mut swapped = data.clone();
    let mut zeroed = 0;
    for w in swapped[1..].chunks_mut(32) {
        if f.g2_words.contains(&U256::from_be_slice(w)) {
            w.fill(0);
            zeroed += 1;
        }
    }
    assert_eq!(zeroed, 8, "the data contract holds both G2 points");
    let re = chain
        .call(
            attacker,
            factory,
            &call_with_bytes("recreate(bytes)", &[&swapped]),
            U256::ZERO,
        )
        .expect("runs");
    assert!(re.is_success(), "recreate: {re}");
    assert_eq!(word_address(&re.output, 0), data_at, "same CREATE2 address");
    assert_eq!(chain.code(data_at), swapped);
    (chain, verifier)
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn no_function_answers_in_place_of_verification() {
    let f = fixture();
    // the former public getter `VK_DATA()`
    let vk_data = [0x5b, 0xe4, 0x0b, 0xc6];
    assert_eq!(selector("VK_DATA()"), vk_data);
    // control: with the public getter the split verifier had, calldata starting with its selector succeeds
    let with_getter = variant(&f.split, |src| {
        src.replace(
            "address internal immutable VK_DATA",
            "address public immutable VK_DATA",
        )
    });
    let mut chain = Chain::new();
    let d = with_getter
        .deploy(&mut chain, address(0xde9))
        .expect("deploys");
    let o = chain
        .call(address(0xca11), d.address, &vk_data, U256::ZERO)
        .expect("runs");
    assert!(o.is_success(), "the getter answers: {o}");
    for v in [&f.split, &f.inline] {
        let functions: Vec<_> = v
            .abi
            .as_array()
            .expect("abi")
            .iter()
            .filter(|e| e["type"] == "function")
            .collect();
        assert!(
            functions.is_empty(),
            "{}: public functions {functions:?}",
            v.laid_out.layout.name()
        );
        let mut chain = Chain::new();
        let d = v.deploy(&mut chain, address(0xde9)).expect("deploys");
        let valid = encode_calldata(&f.instances, &f.proof);
        let mut prefixed = valid.clone();
        prefixed[..4].copy_from_slice(&vk_data);
        for calldata in [
            vk_data.to_vec(),
            [&vk_data[..], &[0u8; 32]].concat(),
            prefixed,
        ] {
            let o = chain
                .call(address(0xca11), d.address, &calldata, U256::ZERO)
                .expect("runs");
            assert!(
                !o.is_success(),
                "{}: calldata 0x{}.. answered without verifying: {o}",
                v.laid_out.layout.name(),
                hex::encode(&calldata[..calldata.len().min(8)])
            );
        }
        let o = chain
            .call(address(0xca11), d.address, &valid, U256::ZERO)
            .expect("runs");
        assert!(o.is_success(), "{o}");
    }
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn non_canonical_scalar_words_are_refused_in_both_layouts() {
    let f = fixture();
    let r = U256::from_str_radix(R, 16).expect("r");
    assert_eq!(
        r,
        U256::from_str_radix(Fr::MODULUS.trim_start_matches("0x"), 16).expect("modulus")
    );
    let valid = encode_calldata(&f.instances, &f.proof);
    let plus_r = |calldata: &[u8], word_at: usize| {
        let mut c = calldata.to_vec();
        let w = U256::from_be_slice(&c[word_at..word_at + 32]);
        assert!(w < r, "the word at {word_at} is canonical");
        let (sum, overflow) = w.overflowing_add(r);
        assert!(!overflow);
        c[word_at..word_at + 32].copy_from_slice(&sum.to_be_bytes::<32>());
        c
    };
    let proof_at = 32 * f.instances.len();
    // SHPLONK's proof ends with two G1 points (128 bytes); the word before them is the last evaluation
    let last_eval = proof_at + f.proof.len() - 128 - 32;
    let cases = [
        ("input 0", 0),
        ("output 0", 32 * f.first_output),
        ("binding value", 32 * f.bind),
        ("last proof evaluation", last_eval),
    ];
    // control: reducing each word mod r (as published snark-verifier did) accepts every case
    let reducing = variant(&f.inline, |src| {
        src.replace("success := and(success, lt(s, f_q))", "s := mod(s, f_q)")
    });
    let mut chain = Chain::new();
    let d = reducing
        .deploy(&mut chain, address(0xde9))
        .expect("deploys");
    for (what, at) in cases {
        let o = chain
            .call(address(0xca11), d.address, &plus_r(&valid, at), U256::ZERO)
            .expect("runs");
        assert!(o.is_success(), "reducing verifier: {what} + r: {o}");
    }
    for v in [&f.split, &f.inline] {
        let mut chain = Chain::new();
        let d = v.deploy(&mut chain, address(0xde9)).expect("deploys");
        for (what, at) in cases {
            let o = chain
                .call(address(0xca11), d.address, &plus_r(&valid, at), U256::ZERO)
                .expect("runs");
            assert!(
                !o.is_success(),
                "{}: {what} + r accepted: {o}",
                v.laid_out.layout.name()
            );
        }
        let o = chain
            .call(address(0xca11), d.address, &valid, U256::ZERO)
            .expect("runs");
        assert!(o.is_success(), "{o}");
    }
}
