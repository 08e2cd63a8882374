//! The native Poseidon (`zkinfer_circuits::poseidon`) against `light-poseidon`'s circomlib parameters on
//! random inputs for every supported width, fixed test vectors (the same vectors JavaScript and Solidity
//! implementations are checked against), and the commitment's packing and chain.

use ark_ff::{BigInteger, PrimeField as ArkPrimeField};
use halo2_proofs::halo2curves::ff::Field;
use light_poseidon::{Poseidon, PoseidonHasher};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkinfer_circuits::field::{fr_from_hex, fr_from_i128};
use zkinfer_circuits::poseidon::commitment::{
    chain_calls, chain_hash, commitment_elements, MAX_VALUE, MIN_VALUE,
};
use zkinfer_circuits::poseidon::params::{MAX_WIDTH, MIN_WIDTH};
use zkinfer_circuits::poseidon::{
    commit, commitment_params, fr_from_be_hex, fr_to_be_hex, hash, pack_values, params,
    signed_to_committed, Opening, PoseidonError, COMMIT_WIDTH,
};
use zkinfer_circuits::Fr;

fn to_ark(f: &Fr) -> ark_bn254::Fr {
    ark_bn254::Fr::from_le_bytes_mod_order(f.to_bytes().as_ref())
}

fn from_ark(f: &ark_bn254::Fr) -> Fr {
    let bytes = f.into_bigint().to_bytes_le();
    let mut repr = [0u8; 32];
    repr.copy_from_slice(&bytes);
    Option::from(Fr::from_bytes(&repr)).expect("canonical")
}

/// Big-endian hex (the form circomlibjs and Solidity print) of a field element.
fn be_hex(f: &Fr) -> String {
    let mut bytes = f.to_bytes();
    bytes.reverse();
    format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn from_be_hex(s: &str) -> Fr {
    let s = s.strip_prefix("0x").expect("0x");
    let le: String = (0..32).rev().map(|i| &s[2 * i..2 * i + 2]).collect();
    fr_from_hex(&le).expect("field element")
}

fn reference(inputs: &[Fr]) -> Fr {
    let mut p = Poseidon::<ark_bn254::Fr>::new_circom(inputs.len()).expect("light-poseidon width");
    let ark: Vec<_> = inputs.iter().map(to_ark).collect();
    from_ark(&p.hash(&ark).expect("hash"))
}

#[test]
fn matches_light_poseidon_on_random_inputs_for_every_width() {
    let mut rng = ChaCha20Rng::seed_from_u64(30);
    for width in MIN_WIDTH..=MAX_WIDTH {
        for _ in 0..4 {
            let inputs: Vec<Fr> = (0..width - 1).map(|_| Fr::random(&mut rng)).collect();
            assert_eq!(hash(&inputs), Ok(reference(&inputs)), "width {width}");
        }
        // small and extreme inputs too
        let small: Vec<Fr> = (0..width - 1).map(|i| Fr::from(i as u64)).collect();
        assert_eq!(hash(&small), Ok(reference(&small)), "width {width}");
        let minus_one = vec![-Fr::one(); width - 1];
        assert_eq!(hash(&minus_one), Ok(reference(&minus_one)), "width {width}");
    }
}

#[test]
fn circomlib_test_vectors() {
    // circomlib / circomlibjs: poseidon([1, 2]), poseidon([1, 2, 3, 4])
    let one_two = hash(&[Fr::from(1), Fr::from(2)]).expect("hash");
    assert_eq!(
        be_hex(&one_two),
        "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
    );
    let four = hash(&[1u64, 2, 3, 4].map(Fr::from)).expect("hash");
    assert_eq!(
        be_hex(&four),
        "0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465"
    );
    assert_eq!(from_be_hex(&be_hex(&four)), four);
    // the library's big-endian hex is this test's
    assert_eq!(fr_to_be_hex(&four), be_hex(&four));
    assert_eq!(fr_from_be_hex(&be_hex(&one_two)), Some(one_two));
}

#[test]
fn unsupported_widths_are_errors() {
    assert_eq!(hash(&[]), Err(PoseidonError::UnsupportedWidth { width: 1 }));
    assert_eq!(
        hash(&[Fr::one(); 13]),
        Err(PoseidonError::UnsupportedWidth { width: 14 })
    );
    assert!(params(14).is_err() && params(1).is_err() && params(0).is_err());
    assert_eq!(
        commitment_params().width,
        params(COMMIT_WIDTH).expect("width").width
    );
    assert_eq!(
        chain_hash(&[Fr::one()], 1),
        Err(PoseidonError::UnsupportedWidth { width: 2 })
    );
}

#[test]
fn packing_is_ten_24_bit_values_little_endian() {
    let values: Vec<i128> = (0..13).map(|i| i * 1_000_003 + 17).collect();
    let packed = pack_values(&values).expect("in range");
    assert_eq!(packed.len(), 2);
    for (k, p) in packed.iter().enumerate() {
        let mut expected = Fr::zero();
        for i in (0..10).rev() {
            let v = values.get(10 * k + i).copied().unwrap_or(0);
            expected = expected * Fr::from(1 << 24) + fr_from_i128(v);
        }
        assert_eq!(*p, expected, "element {k}");
    }
    // the extremes pack to all-zero and all-one slots
    let ones = pack_values(&[MAX_VALUE; 10]).expect("in range");
    assert_eq!(ones[0] + Fr::one(), Fr::from(2).pow_vartime([240]));
    assert_eq!(pack_values(&[MIN_VALUE; 10]), Ok(vec![Fr::zero()]));
    assert_eq!(
        pack_values(&[0, MAX_VALUE + 1]),
        Err(PoseidonError::ValueOutOfRange {
            index: 1,
            value: MAX_VALUE + 1
        })
    );
    assert!(pack_values(&[MIN_VALUE - 1]).is_err());
    assert_eq!((MIN_VALUE, MAX_VALUE), (0, (1 << 24) - 1));
    assert_eq!(signed_to_committed(-(1 << 23)), 0);
    assert_eq!(signed_to_committed((1 << 23) - 1), MAX_VALUE);
    assert_eq!(pack_values(&[]), Ok(vec![]));
}

/// The chain, written out call by call with the reference hash.
fn reference_commitment(values: &[i128], salt: Fr) -> Fr {
    let elements = commitment_elements(values, salt).expect("in range");
    let mut padded = elements.clone();
    let calls = chain_calls(elements.len(), 5);
    padded.resize(5 + 4 * (calls - 1), Fr::zero());
    let mut h = reference(&padded[..5]);
    for block in padded[5..].chunks(4) {
        let mut inputs = vec![h];
        inputs.extend_from_slice(block);
        h = reference(&inputs);
    }
    h
}

#[test]
fn commitment_is_the_documented_chain() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for n in [0usize, 1, 10, 29, 30, 31, 70, 71, 200] {
        let values: Vec<i128> = (0..n).map(|i| (i as i128 * 7919) % (1 << 24)).collect();
        let salt = Fr::random(&mut rng);
        let c = commit(&values, salt).expect("commit");
        assert_eq!(c, reference_commitment(&values, salt), "n = {n}");
        let opening = Opening {
            values: values.clone(),
            salt,
        };
        assert_eq!(opening.opens(&c), Ok(true));
        let json = serde_json::to_string(&opening).expect("json");
        assert_eq!(
            serde_json::from_str::<Opening>(&json).expect("parses"),
            opening
        );
        // another salt, one value changed, or one more value: another commitment
        assert_ne!(commit(&values, salt + Fr::one()), Ok(c));
        let mut longer = values.clone();
        longer.push(MIN_VALUE);
        assert_ne!(
            commit(&longer, salt),
            Ok(c),
            "n = {n}: padding is not a value"
        );
        if n > 0 {
            let mut changed = values.clone();
            changed[n / 2] += if changed[n / 2] == MAX_VALUE { -1 } else { 1 };
            assert_ne!(commit(&changed, salt), Ok(c));
        }
    }
    // calls: [s, n] + m elements, 5 in the first call and 4 in each next one
    assert_eq!(chain_calls(2, 5), 1);
    assert_eq!(chain_calls(5, 5), 1);
    assert_eq!(chain_calls(6, 5), 2);
    assert_eq!(chain_calls(9, 5), 2);
    assert_eq!(chain_calls(10, 5), 3);
}

/// Fixed commitment vectors for other implementations (JavaScript, Solidity, Python) to reproduce.
#[test]
fn commitment_test_vectors() {
    let empty = commit(&[], Fr::zero()).expect("commit");
    assert_eq!(empty, reference(&[Fr::zero(); 5]));
    let cases: [(&[i128], u64, &str); 3] = [
        (&[], 0, COMMIT_EMPTY),
        (&[1, 16777215, 0, 8388608, 5], 42, COMMIT_FIVE),
        (&[3; 45], 7, COMMIT_45),
    ];
    for (values, salt, expected) in cases {
        let c = commit(values, Fr::from(salt)).expect("commit");
        println!("commit({values:?}, salt {salt}) = {}", be_hex(&c));
        assert_eq!(be_hex(&c), expected, "values {values:?} salt {salt}");
    }
}

// Computed independently from the spec with `poseidon-lite` 0.3.0 (`poseidon5`) in JavaScript.
const COMMIT_EMPTY: &str = "0x2066be41bebe6caf7e079360abe14fbf9118c62eabc42e2fe75e342b160a95bc";
const COMMIT_FIVE: &str = "0x19aa0c1a281df711a8b2299bb1325a0513dbfc1fb05f47ced584911b464f377f";
const COMMIT_45: &str = "0x083a52d74d65d681a1114d218cdd1b0ce6674a6a310e469e78b85d4a3077bdb5";

#[test]
fn an_opening_reads_from_json_with_a_big_endian_salt() {
    let json = r#"{"values": [1, 16777215, 0, 8388608, 5], "salt": "0x2a"}"#;
    let opening: Opening = serde_json::from_str(json).expect("parses");
    assert_eq!(be_hex(&opening.commitment().expect("commit")), COMMIT_FIVE);
    let bad_salt = r#"{"values": [], "salt": "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"}"#;
    assert!(
        serde_json::from_str::<Opening>(bad_salt).is_err(),
        "salt not below p"
    );
    let out_of_range: Opening =
        serde_json::from_str(r#"{"values": [16777216], "salt": "0x1"}"#).expect("parses");
    assert!(matches!(
        out_of_range.commitment(),
        Err(PoseidonError::ValueOutOfRange { index: 0, .. })
    ));
}
