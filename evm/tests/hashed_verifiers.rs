//! iris_mlp compiled with hashed inputs (`--input-visibility hashed`): its input tensor is ONE public
//! instance, the Poseidon commitment to its stored values, and the circuit carries a Poseidon chip (its own
//! advice and fixed columns, a constants column, degree-4 gates with constants such as 2^16 and 2^24).
//!
//! Both Solidity layouts accept an EVM-transcript proof made by the prover's pipeline and refuse it with a
//! wrong commitment (and a wrong output, digest or binding value); the split layout does so under a
//! transaction's gas limit, at about the inline layout's gas. (The split layout used to put its constants'
//! copy above the program's largest small literal: the Poseidon gates' constant 2^24 put it at 16 MiB, and
//! a valid proof cost 539M gas, so it ran out of gas on any chain: "rejected".) The verifier `export-evm`
//! ships (split: the inline one is over EIP-170) deploys under the limit, accepts the proof and refuses the
//! wrong commitment, and its manifest counts the statement by visibility (one commitment instance, range
//! bits `COMMITMENT_BITS`).

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::visibility::Visibility;
use zkinfer_evm::contracts::build;
use zkinfer_evm::export::{export, ExportedCode, InputRange, COMMITMENT_BITS};
use zkinfer_evm::generate::encode_calldata;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Chain, MAX_CODE_SIZE, TX_GAS_LIMIT, U256};
use zkinfer_evm::solc::Solc;
use zkinfer_verifier::VerifierArtifacts;

/// `zkinfer compile --input-visibility <inputs>` (fewest rows).
fn inputs(inputs: Visibility) -> CompileOptions {
    CompileOptions {
        target: Target::Resources,
        inputs,
        ..CompileOptions::default()
    }
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn hashed_iris_both_layouts_accept_a_valid_proof_and_refuse_a_wrong_commitment() {
    let (tmp, md, input) = common::model_dir_with("iris_mlp", &inputs(Visibility::Hashed));
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let s = &art.settings;
    assert!(s.inputs.iter().all(|i| i.visibility == Visibility::Hashed));
    assert!(s.has_commitments());
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let bind = Fr::from(0x5eed_u64);
    let (instances, proof) = common::evm_proof(&md, &input, bind);
    // one commitment per input tensor, then the outputs' elements, the digest and the binding value
    let n_in = s.inputs.len();
    let n_out: usize = s.outputs.iter().map(|o| o.numel()).sum();
    assert_eq!(instances.len(), n_in + n_out + 2);
    assert_eq!(instances.len(), s.num_instances());
    assert_eq!(instances[s.bind_instance()], bind);
    let deployer = address(0xde9);
    let valid = encode_calldata(&instances, &proof);
    let tampered = |index: usize| {
        let mut bad = instances.clone();
        bad[index] += Fr::one();
        encode_calldata(&bad, &proof)
    };
    let mut gas = Vec::new();
    for layout in Layout::ALL {
        let name = layout.name();
        let v = build(&art, layout, &solc).expect("verifier builds");
        let fits = v.deployed.len() <= MAX_CODE_SIZE
            && v.laid_out
                .data
                .as_ref()
                .is_none_or(|d| d.len() <= MAX_CODE_SIZE);
        // the inline verifier is over EIP-170 (a chain without the limit); the split one fits and runs on a
        // chain with the limit and a transaction's gas limit
        assert_eq!(
            fits,
            layout == Layout::Split,
            "{name}: {} bytes",
            v.deployed.len()
        );
        let mut chain = if fits {
            Chain::new()
        } else {
            Chain::new().without_code_size_limit()
        };
        let d = v.deploy(&mut chain, deployer).expect("deploys");
        let ok = d.verify(&mut chain, deployer, &valid).expect("runs");
        assert!(ok.is_success(), "{name}: valid proof refused: {ok}");
        assert!(ok.gas_used < TX_GAS_LIMIT, "{name}: {ok}");
        gas.push(ok.gas_used);
        for (what, index) in [
            ("commitment", 0),
            ("output 0", n_in),
            ("settings digest", s.digest_instance()),
            ("binding value", s.bind_instance()),
        ] {
            let out = d
                .verify(&mut chain, deployer, &tampered(index))
                .expect("runs");
            assert!(!out.is_success(), "{name}: tampered {what} accepted");
        }
        let mut bad = proof.clone();
        bad[proof.len() / 2] ^= 1;
        let out = d
            .verify(&mut chain, deployer, &encode_calldata(&instances, &bad))
            .expect("runs");
        assert!(!out.is_success(), "{name}: flipped proof byte accepted");
    }
    // the split layout costs the copy of its constants, not megabytes of memory
    assert!(
        gas[1] < gas[0] + 200_000,
        "split {} gas, inline {} gas",
        gas[1],
        gas[0]
    );

    // what `zkinfer export-evm` writes: the split layout, deployable, and a manifest by visibility
    let out_dir = tmp.path().join("evm");
    let e = export(&md.path, &out_dir, None, &solc).expect("export");
    let m = &e.manifest;
    assert_eq!(m.layout, Layout::Split);
    assert!(m.fits_eip170);
    assert_eq!(m.num_instances, instances.len());
    assert_eq!((m.num_inputs, m.num_outputs), (n_in, n_out));
    assert_eq!(m.num_inputs + m.num_outputs + 2, m.num_instances);
    assert_eq!(
        m.input_ranges,
        vec![
            InputRange {
                count: 1,
                bits: COMMITMENT_BITS
            };
            n_in
        ]
    );
    assert_eq!(
        m.settings_digest,
        fr_to_hex(&instances[s.digest_instance()])
    );
    let code = ExportedCode::load(&out_dir).expect("reads back");
    let mut chain = Chain::new();
    let at = code
        .deploy(&mut chain, deployer)
        .expect("deploys under EIP-170");
    let ok = chain.call(deployer, at, &valid, U256::ZERO).expect("runs");
    assert!(ok.is_success(), "exported verifier: {ok}");
    let out = chain
        .call(deployer, at, &tampered(0), U256::ZERO)
        .expect("runs");
    assert!(
        !out.is_success(),
        "exported verifier: wrong commitment accepted"
    );
    println!(
        "HASHED-EVM iris_mlp: inline {} gas, split {} gas ({} + {} bytes)",
        gas[0],
        gas[1],
        m.verifier.deployed_bytes,
        m.data.as_ref().map_or(0, |d| d.deployed_bytes)
    );
}

/// A public model's manifest counts what it always did: every element, the encodings' bits.
#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn public_iris_manifest_counts_elements() {
    let (tmp, md, _) = common::model_dir_with("iris_mlp", &inputs(Visibility::Public));
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let s = &art.settings;
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let e = export(&md.path, &tmp.path().join("evm"), None, &solc).expect("export");
    let m = &e.manifest;
    assert_eq!(m.layout, Layout::Inline);
    assert_eq!(
        m.num_inputs,
        s.inputs.iter().map(|i| i.numel()).sum::<usize>()
    );
    assert_eq!(
        m.num_outputs,
        s.outputs.iter().map(|o| o.numel()).sum::<usize>()
    );
    let ranges: Vec<InputRange> = s
        .inputs
        .iter()
        .map(|i| InputRange {
            count: i.numel(),
            bits: i.encoding.bits,
        })
        .collect();
    assert_eq!(m.input_ranges, ranges);
}
