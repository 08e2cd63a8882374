//! Importing ceremony SRS files: a real snarkjs `.ptau` (tests/fixtures/srs/pot7_final.ptau, made by
//! scripts/make-ptau-fixture.sh), halo2 `ParamsKZG` files as PSE/EZKL write them (raw and compressed),
//! tampered and truncated files; and the pinned [τ]₂ of the public ceremonies.

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fq2, Fr, G1Affine, G2Affine, G1, G2};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::Curve;
use halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::poly::commitment::{Blind, Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::EvaluationDomain;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use zkinfer_prover::srs_import::{
    check_powers, import_srs, probe, read_powers, ConsistencyCheck, SrsFormat, SrsImportError,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/srs/pot7_final.ptau")
}

fn tmp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

fn fq(dec: &str) -> Fq {
    Fq::from_str_vartime(dec).expect("decimal below the modulus")
}

fn fq_hex(hex: &str) -> Fq {
    let be = hex::decode(hex.trim_start_matches("0x")).expect("hex");
    let mut le = [0u8; 32];
    for (i, b) in be.iter().rev().enumerate() {
        le[i] = *b;
    }
    Option::from(Fq::from_repr(le)).expect("hex below the modulus")
}

/// A G2 point from decimal coordinates in the order x.c0, x.c1, y.c0, y.c1.
fn g2_point(c: [&str; 4]) -> G2Affine {
    let x = Fq2 {
        c0: fq(c[0]),
        c1: fq(c[1]),
    };
    let y = Fq2 {
        c0: fq(c[2]),
        c1: fq(c[3]),
    };
    Option::from(G2Affine::from_xy(x, y)).expect("on the twist")
}

/// The `.ptau` section table: id -> (data offset, size).
fn ptau_sections(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    let mut pos = 12;
    let mut out = vec![];
    for _ in 0..u32_at(8) {
        let (id, size) = (u32_at(pos), u64_at(pos + 4) as usize);
        out.push((id, pos + 12, size));
        pos += 12 + size;
    }
    out
}

fn section(bytes: &[u8], id: u32) -> (usize, usize) {
    let (_, at, size) = *ptau_sections(bytes)
        .iter()
        .find(|s| s.0 == id)
        .expect("section present");
    (at, size)
}

fn assert_check(err: SrsImportError, want: ConsistencyCheck) {
    assert_eq!(err.consistency_check(), Some(want), "{err}");
}

/// KZG params from a fixed seed, written by halo2-axiom in `format`.
fn halo2_file(k: u32, format: SerdeFormat) -> (ParamsKZG<Bn256>, Vec<u8>) {
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(7));
    let mut bytes = vec![];
    params
        .write_custom(&mut bytes, format)
        .expect("write params");
    (params, bytes)
}

/// commit (monomial basis) and commit_lagrange agree: g_lagrange is the Lagrange basis of g.
fn assert_lagrange_consistent(params: &ParamsKZG<Bn256>) {
    let domain = EvaluationDomain::<Fr>::new(1, params.k());
    let mut a = domain.empty_lagrange();
    for (i, v) in a.iter_mut().enumerate() {
        *v = Fr::from(i as u64 * 7 + 3);
    }
    let b = domain.lagrange_to_coeff(a.clone());
    assert_eq!(
        params.commit(&b, Blind::default()).to_affine(),
        params.commit_lagrange(&a, Blind::default()).to_affine()
    );
}

#[test]
fn the_snarkjs_ptau_imports_for_every_k_up_to_its_power() {
    let path = fixture();
    assert_eq!(probe(&path).expect("probe"), (SrsFormat::Ptau, 7));
    // [τ]₂ as snarkjs' own readers decode the file (written next to it by the fixture script).
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path.with_file_name("pot7_final.tau_g2.json")).expect("tau json"),
    )
    .expect("json");
    let c: Vec<&str> = json["tau_g2"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("decimal string"))
        .collect();
    let tau_g2 = g2_point([c[0], c[1], c[2], c[3]]);
    for k in 1..=7 {
        let imported = import_srs(&path, k).expect("import");
        assert_eq!((imported.format, imported.max_k), (SrsFormat::Ptau, 7));
        let p = &imported.params;
        assert_eq!((p.k(), p.n()), (k, 1 << k));
        assert_eq!(p.get_g()[0], G1Affine::generator());
        assert_eq!(p.g2(), G2Affine::generator());
        assert_eq!(p.s_g2(), tau_g2);
        assert_lagrange_consistent(p);
    }
    assert!(matches!(
        import_srs(&path, 8),
        Err(SrsImportError::TooSmall {
            available: 7,
            requested: 8,
            ..
        })
    ));
}

#[test]
fn imported_params_round_trip_through_the_halo2_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let imported = import_srs(&fixture(), 6).expect("import").params;
    let mut bytes = vec![];
    imported.write(&mut bytes).expect("write");
    let back = ParamsKZG::<Bn256>::read(&mut bytes.as_slice()).expect("read");
    assert_eq!(back.get_g(), imported.get_g());
    assert_eq!(back.s_g2(), imported.s_g2());
    // The written file imports again, whole and downsized, to the same powers.
    let path = tmp_file(&dir, "from-ptau.params", &bytes);
    assert_eq!(probe(&path).expect("probe"), (SrsFormat::Halo2Raw, 6));
    for k in [4, 6] {
        let again = import_srs(&path, k).expect("import").params;
        assert_eq!(again.get_g(), &imported.get_g()[..1 << k]);
        assert_eq!(again.s_g2(), imported.s_g2());
        assert_lagrange_consistent(&again);
    }
}

#[test]
fn halo2_params_files_import_raw_and_compressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // RawBytes is what PSE halo2's ParamsKZG::write writes (EZKL's kzg files, the perpetual-powers-of-tau-raw
    // and hermez-raw conversions); RawBytesUnchecked writes the same bytes; Processed (compressed) is
    // the older format of the non-raw conversions.
    for (format, want) in [
        (SerdeFormat::RawBytes, SrsFormat::Halo2Raw),
        (SerdeFormat::RawBytesUnchecked, SrsFormat::Halo2Raw),
        (SerdeFormat::Processed, SrsFormat::Halo2Compressed),
    ] {
        let (params, bytes) = halo2_file(5, format);
        let path = tmp_file(&dir, "params", &bytes);
        assert_eq!(probe(&path).expect("probe"), (want, 5));
        for k in [1, 3, 5] {
            let imported = import_srs(&path, k).expect("import");
            assert_eq!(imported.format, want);
            assert_eq!(imported.params.get_g(), &params.get_g()[..1 << k]);
            assert_eq!(imported.params.s_g2(), params.s_g2());
            assert_lagrange_consistent(&imported.params);
        }
        let mut expect = params.clone();
        expect.downsize(3);
        let imported = import_srs(&path, 3).expect("import").params;
        let mut a = vec![];
        let mut b = vec![];
        expect.write(&mut a).expect("write");
        imported.write(&mut b).expect("write");
        assert_eq!(a, b, "import = halo2's own downsize");
    }
}

#[test]
fn a_tampered_power_fails_the_pairing_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    // .ptau: tauG1[3] replaced by tauG1[4] (a valid point, the wrong power).
    let mut bytes = std::fs::read(fixture()).expect("fixture");
    let (g1_at, _) = section(&bytes, 2);
    let p4 = bytes[g1_at + 4 * 64..g1_at + 5 * 64].to_vec();
    bytes[g1_at + 3 * 64..g1_at + 4 * 64].copy_from_slice(&p4);
    let path = tmp_file(&dir, "tampered.ptau", &bytes);
    let err = import_srs(&path, 3).expect_err("tampered");
    assert_check(err, ConsistencyCheck::PowersNotGeometric);
    // Powers beyond the requested k are not read, so k = 1 still imports.
    import_srs(&path, 1).expect("untouched prefix");
    // halo2 params: g[2] replaced by g[2] + G.
    let (params, mut bytes) = halo2_file(4, SerdeFormat::RawBytes);
    let bad = (params.get_g()[2] + G1::generator()).to_affine();
    bytes[4 + 2 * 64..4 + 3 * 64].copy_from_slice(&bad.to_raw_bytes());
    let path = tmp_file(&dir, "tampered.params", &bytes);
    assert_check(
        import_srs(&path, 4).expect_err("tampered"),
        ConsistencyCheck::PowersNotGeometric,
    );
    // halo2 params: g[0] not the generator.
    let (params, mut bytes) = halo2_file(4, SerdeFormat::RawBytes);
    bytes[4..4 + 64].copy_from_slice(&params.get_g()[1].to_raw_bytes());
    let path = tmp_file(&dir, "g0.params", &bytes);
    assert_check(
        import_srs(&path, 4).expect_err("g0"),
        ConsistencyCheck::G1NotGenerator,
    );
}

#[test]
fn a_replaced_tau_g2_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    // .ptau: tauG2[1] replaced by tauG2[2] = [τ²]₂.
    let mut bytes = std::fs::read(fixture()).expect("fixture");
    let (g2_at, _) = section(&bytes, 3);
    let p2 = bytes[g2_at + 2 * 128..g2_at + 3 * 128].to_vec();
    bytes[g2_at + 128..g2_at + 2 * 128].copy_from_slice(&p2);
    let path = tmp_file(&dir, "tau2.ptau", &bytes);
    assert_check(
        import_srs(&path, 5).expect_err("s_g2"),
        ConsistencyCheck::PowersNotGeometric,
    );
    // halo2 params: s_g2 replaced by other points.
    let (params, bytes) = halo2_file(4, SerdeFormat::RawBytes);
    let s_at = bytes.len() - 128;
    let cases: [(G2Affine, ConsistencyCheck); 4] = [
        (
            (params.s_g2() + G2::generator()).to_affine(),
            ConsistencyCheck::PowersNotGeometric,
        ),
        (G2Affine::identity(), ConsistencyCheck::TauG2Identity),
        (G2Affine::generator(), ConsistencyCheck::TauIsOne),
        (
            twist_point_outside_subgroup(),
            ConsistencyCheck::TauG2NotInSubgroup,
        ),
    ];
    for (s_g2, want) in cases {
        let mut bytes = bytes.clone();
        bytes[s_at..].copy_from_slice(&s_g2.to_raw_bytes());
        let path = tmp_file(&dir, "s_g2.params", &bytes);
        assert_check(import_srs(&path, 4).expect_err("s_g2"), want);
    }
    // check_powers itself: a G2 "generator" that is not the generator.
    let g = params.get_g();
    let err = check_powers("mem", g, &params.s_g2(), &params.s_g2()).expect_err("g2");
    assert_check(err, ConsistencyCheck::G2NotGenerator);
}

/// A point on the BN254 twist outside its prime-order subgroup (the twist has a large cofactor).
fn twist_point_outside_subgroup() -> G2Affine {
    let b = G2Affine::b();
    let mut c0 = Fq::ONE;
    loop {
        let x = Fq2 { c0, c1: Fq::ONE };
        if let Some(y) = Option::<Fq2>::from((x.square() * x + b).sqrt()) {
            let p: G2Affine = Option::from(G2Affine::from_xy(x, y)).expect("on the twist");
            if !bool::from(G2::from(p).is_torsion_free()) {
                return p;
            }
        }
        c0 += Fq::ONE;
    }
}

#[test]
fn truncated_and_garbage_files_give_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ptau = std::fs::read(fixture()).expect("fixture");
    let (_, params) = halo2_file(4, SerdeFormat::RawBytes);
    for (name, bytes) in [("t.ptau", &ptau), ("t.params", &params)] {
        let cuts = [
            0,
            3,
            4,
            11,
            12,
            50,
            80,
            200,
            bytes.len() / 2,
            bytes.len() - 129,
        ];
        for cut in cuts.into_iter().chain([bytes.len() - 1]) {
            let path = tmp_file(&dir, name, &bytes[..cut]);
            let err = import_srs(&path, 2).expect_err("truncated");
            assert!(err.consistency_check().is_none(), "{cut}: {err}");
            assert!(probe(&path).is_err(), "{cut}");
        }
    }
    // A section claiming 2^64 - 1 bytes; a header claiming 2^32 - 1 sections.
    let mut huge = ptau.clone();
    let (g1_at, _) = section(&ptau, 2);
    huge[g1_at - 8..g1_at].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = import_srs(&tmp_file(&dir, "huge.ptau", &huge), 2).expect_err("huge section");
    assert!(
        matches!(err, SrsImportError::SectionSize { section: 2, .. }),
        "{err}"
    );
    let mut many = ptau.clone();
    many[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = import_srs(&tmp_file(&dir, "many.ptau", &many), 2).expect_err("many sections");
    assert!(matches!(err, SrsImportError::Size { .. }), "{err}");
    // A header claiming k = 27 on a small file; k = 200.
    for k in [27u32, 200] {
        let mut big = params.clone();
        big[..4].copy_from_slice(&k.to_le_bytes());
        let err = import_srs(&tmp_file(&dir, "big.params", &big), 2).expect_err("big k");
        assert!(
            matches!(
                err,
                SrsImportError::Size { .. } | SrsImportError::Header { .. }
            ),
            "{err}"
        );
    }
    // Pseudo-random garbage of various lengths, and a coordinate at the modulus.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    for len in [0usize, 1, 5, 64, 100, 4 + 2 * 2 * 64 + 256, 5000] {
        let bytes: Vec<u8> = (0..len).map(|_| rand::Rng::gen(&mut rng)).collect();
        let path = tmp_file(&dir, "garbage", &bytes);
        assert!(read_powers(&path, 1).is_err(), "{len}");
    }
    let mut bad = params.clone();
    bad[4 + 64..4 + 96].copy_from_slice(&hex::decode(MODULUS_LE).expect("hex"));
    let err = import_srs(&tmp_file(&dir, "bad.params", &bad), 2).expect_err("bad point");
    assert!(
        matches!(
            err,
            SrsImportError::BadPoint {
                section: "g",
                index: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = import_srs(&dir.path().join("missing"), 2).expect_err("missing");
    assert!(matches!(err, SrsImportError::Io { .. }), "{err}");
}

/// The BN254 base field modulus, little-endian hex (an invalid raw coordinate).
const MODULUS_LE: &str = "47fd7cd8168c203c8dca7168916a81975d588181b64550b829a031e1724e6430";

/// The pinned ceremonies' [τ]₂ (x.c0, x.c1, y.c0, y.c1), as the lead pins them in the verifier.
const CEREMONIES: [(&str, [&str; 4]); 2] = [
    (
        "Hermez/Polygon powersOfTau28_hez_final (snarkjs)",
        [
            "21831381940315734285607113342023901060522397560371972897001948545212302161822",
            "17231025384763736816414546592865244497437017442647097510447326538965263639101",
            "2388026358213174446665280700919698872609886601280537296205114254867301080648",
            "11507326595632554467052522095592665270651932854513688777769618397986436103170",
        ],
    ),
    (
        "Perpetual Powers of Tau response_0071 (PSE perpetual-powers-of-tau-raw-K, EZKL)",
        [
            "10665153487364924395451186075663597035495902496253353881119509267933768999122",
            "11029560635643983818885738975758839003131865733814273016801144285524936684972",
            "18755874088236213082062601512863221433227017725453112019151604716957419045549",
            "18790173187318184075281544452912101572166071561689308149111466352378718492148",
        ],
    ),
];

#[test]
fn the_pinned_ceremony_points_are_valid_tau_g2() {
    // snarkjs verifiers: G2x1, G2x2, G2y1, G2y2 = x.c0, x.c1, y.c0, y.c1 of [1]₂ (and X2x1.. of [τ]₂);
    // halo2-solidity-verifier: g2_x_1, g2_x_2, g2_y_1, g2_y_2 = x.c1, x.c0, y.c1, y.c0 (EVM order).
    let snarkjs_g2 = g2_point([
        "10857046999023057135944570762232829481370756359578518086990519993285655852781",
        "11559732032986387107991004021392285783925812861821192530917403151452391805634",
        "8495653923123431417604973247489272438418190587263600148770280649306958101930",
        "4082367875863433681332203403145435568316851327593401208105741076214120093531",
    ]);
    assert_eq!(snarkjs_g2, G2Affine::generator());
    let evm = |h: [&str; 4]| G2Affine {
        x: Fq2 {
            c0: fq_hex(h[1]),
            c1: fq_hex(h[0]),
        },
        y: Fq2 {
            c0: fq_hex(h[3]),
            c1: fq_hex(h[2]),
        },
    };
    let halo2_sol_g2 = evm([
        "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2",
        "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed",
        "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b",
        "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa",
    ]);
    assert_eq!(halo2_sol_g2, G2Affine::generator());
    for (name, c) in CEREMONIES {
        let p = g2_point(c);
        assert!(bool::from(p.is_on_curve()), "{name}");
        assert!(!bool::from(p.is_identity()), "{name}");
        assert!(bool::from(G2::from(p).is_torsion_free()), "{name}");
        assert_ne!(p, G2Affine::generator(), "{name}");
    }
    // The neg_s_g2 of halo2 Solidity verifiers made with each ceremony's params negate back to the pins.
    let hermez_neg = evm([
        "26186a2d65ee4d2f9c9a5b91f86597d35f192cd120caf7e935d8443d1938e23d",
        "30441fd1b5d3370482c42152a8899027716989a6996c2535bc9f7fee8aaef79e",
        "16f363f103c80d7bbc8ad3c6867e0822bbc6000be91a4689755c7df40221c145",
        "2b1cbb3e521edf5a622d82762a44a5e63f1e50b332d71154a4a7958d6011deff",
    ]);
    assert_eq!(-hermez_neg, g2_point(CEREMONIES[0].1));
    let ppot_neg = evm([
        "186282957db913abd99f91db59fe69922e95040603ef44c0bd7aa3adeef8f5ac",
        "17944351223333f260ddc3b4af45191b856689eda9eab5cbcddbbe570ce860d2",
        "06d971ff4a7467c3ec596ed6efc674572e32fd6f52b721f97e35b0b3d3546753",
        "06ecdb9f9567f59ed2eee36e1e1d58797fd13cc97fafc2910f5e8a12f202fa9a",
    ]);
    assert_eq!(-ppot_neg, g2_point(CEREMONIES[1].1));
    // Scroll pins the same PPoT point by its Debug form (c0/c1 in canonical hex).
    let scroll = G2Affine {
        x: Fq2 {
            c0: fq_hex("17944351223333f260ddc3b4af45191b856689eda9eab5cbcddbbe570ce860d2"),
            c1: fq_hex("186282957db913abd99f91db59fe69922e95040603ef44c0bd7aa3adeef8f5ac"),
        },
        y: Fq2 {
            c0: fq_hex("297772d34bc9aa8ae56162486363ffe417b02dc7e8c207fc2cc20203e67a02ad"),
            c1: fq_hex("298adc7396bd3865cbf6d6df91bae406694e6d2215baa893bdeadb63052895f4"),
        },
    };
    assert_eq!(scroll, g2_point(CEREMONIES[1].1));
}

/// A one-gate circuit (a·b = c, with c public) to prove with imported params.
mod mul_circuit {
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
    use halo2_proofs::halo2curves::bn256::Fr;
    use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Instance};
    use halo2_proofs::poly::Rotation;

    #[derive(Clone, Default)]
    pub struct Mul {
        pub a: Fr,
        pub b: Fr,
    }

    #[derive(Clone)]
    pub struct Cfg {
        a: Column<Advice>,
        b: Column<Advice>,
        c: Column<Advice>,
        q: Column<Fixed>,
        out: Column<Instance>,
    }

    impl Circuit<Fr> for Mul {
        type Config = Cfg;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = ();

        fn without_witnesses(&self) -> Self {
            Self::default()
        }

        fn configure(meta: &mut ConstraintSystem<Fr>) -> Cfg {
            let (a, b, c) = (
                meta.advice_column(),
                meta.advice_column(),
                meta.advice_column(),
            );
            let q = meta.fixed_column();
            let out = meta.instance_column();
            meta.enable_equality(c);
            meta.enable_equality(out);
            meta.create_gate("mul", |m| {
                let (a, b, c) = (
                    m.query_advice(a, Rotation::cur()),
                    m.query_advice(b, Rotation::cur()),
                    m.query_advice(c, Rotation::cur()),
                );
                vec![m.query_fixed(q, Rotation::cur()) * (a * b - c)]
            });
            Cfg { a, b, c, q, out }
        }

        fn synthesize(&self, cfg: Cfg, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
            let cell = layouter.assign_region(
                || "mul",
                |mut region| {
                    region.assign_advice(cfg.a, 0, Value::known(self.a));
                    region.assign_advice(cfg.b, 0, Value::known(self.b));
                    let c = region.assign_advice(cfg.c, 0, Value::known(self.a * self.b));
                    region.assign_fixed(cfg.q, 0, Fr::one());
                    Ok(c.cell())
                },
            )?;
            layouter.constrain_instance(cell, cfg.out, 0);
            Ok(())
        }
    }
}

fn prove_mul(
    params: &ParamsKZG<Bn256>,
    a: u64,
    b: u64,
) -> (halo2_proofs::plonk::VerifyingKey<G1Affine>, Vec<u8>) {
    use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk};
    use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
    use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
    use halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
    let circuit = mul_circuit::Mul {
        a: Fr::from(a),
        b: Fr::from(b),
    };
    let vk = keygen_vk(params, &circuit).expect("vk");
    let pk = keygen_pk(params, vk.clone(), &circuit).expect("pk");
    let out = [Fr::from(a * b)];
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        &pk,
        &[circuit],
        &[&[&out]],
        rand_chacha::ChaCha20Rng::seed_from_u64(3),
        &mut transcript,
    )
    .expect("proof");
    (vk, transcript.finalize())
}

fn verifies(
    params: &ParamsKZG<Bn256>,
    vk: &halo2_proofs::plonk::VerifyingKey<G1Affine>,
    proof: &[u8],
    out: u64,
) -> bool {
    use halo2_proofs::plonk::verify_proof;
    use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
    use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::{Blake2bRead, Challenge255, TranscriptReadBuffer};
    let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
    verify_proof::<
        KZGCommitmentScheme<Bn256>,
        VerifierSHPLONK<'_, Bn256>,
        _,
        _,
        SingleStrategy<'_, Bn256>,
    >(
        params,
        vk,
        SingleStrategy::new(params),
        &[&[&[Fr::from(out)]]],
        &mut transcript,
    )
    .is_ok()
}

#[test]
fn a_shplonk_proof_with_the_imported_ptau_params_verifies() {
    let params = import_srs(&fixture(), 6).expect("import").params;
    let (vk, proof) = prove_mul(&params, 6, 7);
    assert!(verifies(&params, &vk, &proof, 42));
    assert!(!verifies(&params, &vk, &proof, 43), "wrong public output");
    // The same proof under params with another τ (same g and generators, only [τ]₂ differs) fails:
    // the verifier's trust rests on s_g2.
    let other = ParamsKZG::<Bn256>::setup(6, rand_chacha::ChaCha20Rng::seed_from_u64(9));
    let forged = params.from_parts(
        6,
        params.get_g().to_vec(),
        None,
        G2Affine::generator(),
        other.s_g2(),
    );
    assert!(!verifies(&forged, &vk, &proof, 42));
}
