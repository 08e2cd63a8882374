//! `judge` on a real proof: trust of the SRS, exact outputs, statements, and the model id.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::Curve;
use zkinfer_verifier::artifacts::model_id;
use zkinfer_verifier::instances::instance_vector;
use zkinfer_verifier::proof_file::{flatten_ints, nest};
use zkinfer_verifier::{
    judge, ExpectedInputs, Provenance, Rejection, SrsIdentity, Statement, UntrustedReason,
    VerifierArtifacts, VerifierParams, VerifyError,
};

fn ints(v: &[serde_json::Value]) -> Vec<Vec<i64>> {
    v.iter().map(|x| flatten_ints(x, "q").unwrap()).collect()
}

#[test]
fn the_fixture_verifies_with_the_development_opt_in_only() {
    let art = common::artifacts();
    assert_eq!(art.params.provenance, Provenance::Development);
    let p = common::proof();
    let v = judge(&art, &p, &common::dev_statement()).expect("valid with the opt-in");
    assert!(matches!(v.srs, SrsIdentity::Development { .. }));
    assert_eq!(v.model_id, art.model_id);
    assert_eq!(v.outputs_q, ints(&p.outputs_q));
    assert_eq!(v.outputs.len(), art.settings.outputs.len());
    let r = judge(&art, &p, &Statement::default()).expect_err("no opt-in");
    assert!(
        matches!(
            r,
            Rejection::DevelopmentParams {
                provenance: Provenance::Development,
                ..
            }
        ),
        "{r}"
    );
    assert!(r.to_string().contains("development"), "{r}");
    assert!(r.is_about_params() && !r.is_unreadable());
}

fn with_points(
    art: &VerifierArtifacts,
    g0: G1Affine,
    g2: G2Affine,
    s_g2: G2Affine,
) -> VerifierArtifacts {
    let mut a = art.clone();
    a.params = VerifierParams::from_points(art.params.k, g0, g2, s_g2);
    a
}

#[test]
fn degenerate_params_are_refused_even_for_a_forged_output() {
    let art = common::artifacts();
    let mut forged = common::proof();
    forged.outputs_q[0] = nest(
        &vec![7i64; art.settings.outputs[0].numel()],
        &art.settings.outputs[0].shape,
    );
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let s = (G2Affine::generator() * Fr::from(77u64)).to_affine();
    let cases = [
        (
            with_points(&art, g1, G2Affine::identity(), G2Affine::identity()),
            UntrustedReason::G2NotGenerator,
        ),
        (
            with_points(&art, g1, g2, G2Affine::identity()),
            UntrustedReason::SG2Identity,
        ),
        (
            with_points(&art, g1, (g2 * Fr::from(2u64)).to_affine(), s),
            UntrustedReason::G2NotGenerator,
        ),
        (
            with_points(&art, (g1 * Fr::from(3u64)).to_affine(), g2, s),
            UntrustedReason::G0NotGenerator,
        ),
        (
            with_points(&art, g1, g2, -g2),
            UntrustedReason::SG2IsMinusG2,
        ),
    ];
    for (a, why) in cases {
        for p in [&forged, &common::proof()] {
            let r = judge(&a, p, &common::dev_statement()).expect_err("untrusted");
            assert!(
                matches!(r, Rejection::UntrustedParams { reason } if reason == why),
                "{r}"
            );
        }
        // and such params never even load
        let e = VerifierArtifacts::from_bytes(
            &common::bytes("settings.json"),
            &common::bytes("vk.bin"),
            &a.params.to_bytes(),
        )
        .expect_err("degenerate params load");
        assert!(
            matches!(e, VerifyError::UntrustedParams { reason, .. } if reason == why),
            "{e}"
        );
    }
}

#[test]
fn params_of_another_srs_are_rejected() {
    let art = common::artifacts();
    let p = common::proof();
    let other = (G2Affine::generator() * Fr::from(0x5eed_u64)).to_affine();
    let bytes = with_points(&art, G1Affine::generator(), G2Affine::generator(), other)
        .params
        .to_bytes();
    // loaded honestly, the other SRS is another model id
    let a = VerifierArtifacts::from_bytes(
        &common::bytes("settings.json"),
        &common::bytes("vk.bin"),
        &bytes,
    )
    .expect("well-formed params");
    assert_ne!(a.model_id, art.model_id);
    let r = judge(&a, &p, &common::dev_statement()).expect_err("other SRS");
    assert!(matches!(r, Rejection::ModelMismatch { .. }), "{r}");
    // even with the model id copied over, the pairing check fails
    let mut a = a;
    a.model_id = art.model_id.clone();
    let r = judge(&a, &p, &common::dev_statement()).expect_err("other SRS");
    assert!(matches!(r, Rejection::ProofFails { .. }), "{r}");
    assert!(!r.is_unreadable());
}

#[test]
fn model_id_covers_the_params() {
    let art = common::artifacts();
    let (s, vk) = (common::bytes("settings.json"), common::bytes("vk.bin"));
    let other = with_points(
        &art,
        G1Affine::generator(),
        G2Affine::generator(),
        (G2Affine::generator() * Fr::from(99u64)).to_affine(),
    );
    assert_eq!(model_id(&s, &vk, &art.params), art.model_id);
    assert_ne!(model_id(&s, &vk, &other.params), art.model_id);
    // the provenance tag is informational and not part of the id
    let tagged = art.params.clone().with_provenance(Provenance::Imported);
    assert_eq!(model_id(&s, &vk, &tagged), art.model_id);
    // version-1 params files (no tag) still read, as unmarked
    let v2 = art.params.to_bytes();
    let mut v1 = v2[..8].to_vec();
    v1.extend_from_slice(&1u32.to_le_bytes());
    v1.extend_from_slice(&v2[12..16]);
    v1.extend_from_slice(&v2[17..]);
    let p1 = VerifierParams::from_bytes(&v1, "v1").expect("v1 params");
    assert_eq!(p1.provenance, Provenance::Unmarked);
    assert_eq!(p1.canonical_bytes(), art.params.canonical_bytes());
}

/// Rewrites the file's instances from its integers, as a careful forger would.
fn reinstance(art: &VerifierArtifacts, p: &mut zkinfer_verifier::ProofFile) {
    let bind = p.bind_value("p").unwrap();
    let inst =
        instance_vector(&art.settings, &ints(&p.inputs_q), &ints(&p.outputs_q), bind).unwrap();
    p.instances = zkinfer_verifier::instances_hex(&inst);
}

#[test]
fn a_tampered_input_integer_is_rejected() {
    let art = common::artifacts();
    let spec = &art.settings.inputs[0];
    let mut q = ints(&common::proof().inputs_q);
    q[0][0] = if q[0][0] > 0 { q[0][0] - 1 } else { 1 };
    // only the integer: the instance list (and the float) no longer match
    let mut p = common::proof();
    p.inputs_q[0] = nest(&q[0], &spec.shape);
    let r = judge(&art, &p, &common::dev_statement()).expect_err("edited");
    assert!(
        matches!(
            r,
            Rejection::EditedValue { .. } | Rejection::InstanceMismatch { .. }
        ),
        "{r}"
    );
    // integer, float and instances all consistent: the proof itself fails
    let floats: Vec<f64> = q[0].iter().map(|&v| spec.encoding.dequantise(v)).collect();
    p.inputs[0] = nest(&floats, &spec.shape);
    reinstance(&art, &mut p);
    let r = judge(&art, &p, &common::dev_statement()).expect_err("edited");
    assert!(matches!(r, Rejection::ProofFails { .. }), "{r}");
}

#[test]
fn expected_inputs_are_checked() {
    let art = common::artifacts();
    let p = common::proof();
    let q = ints(&p.inputs_q);
    let mut st = common::dev_statement();
    st.inputs = Some(ExpectedInputs::Stored(q.clone()));
    judge(&art, &p, &st).expect("same input");
    let values: Vec<Vec<f64>> = q
        .iter()
        .zip(&art.settings.inputs)
        .map(|(v, s)| v.iter().map(|&x| s.encoding.dequantise(x)).collect())
        .collect();
    st.inputs = Some(ExpectedInputs::Values(values));
    judge(&art, &p, &st).expect("same input as values");
    let mut other = q.clone();
    other[0][1] += 1;
    st.inputs = Some(ExpectedInputs::Stored(other));
    let r = judge(&art, &p, &st).expect_err("another input");
    assert!(
        matches!(
            r,
            Rejection::InputMismatch {
                tensor: 0,
                element: 1,
                ..
            }
        ),
        "{r}"
    );
}

#[test]
fn a_binding_nobody_expects_is_rejected() {
    let art = common::artifacts();
    let mut p = common::proof();
    p.bind = zkinfer_circuits::field::fr_to_hex(&Fr::from(5u64));
    reinstance(&art, &mut p);
    let r = judge(&art, &p, &common::dev_statement()).expect_err("bound");
    assert!(matches!(r, Rejection::BindingMismatch { .. }), "{r}");
    // expecting that binding, the statement matches but the proof (made unbound) fails
    let mut st = common::dev_statement();
    st.bind = Some(Fr::from(5u64));
    let r = judge(&art, &p, &st).expect_err("proof is unbound");
    assert!(matches!(r, Rejection::ProofFails { .. }), "{r}");
    // and the unbound proof is refused when a binding is expected
    let r = judge(&art, &common::proof(), &st).expect_err("expected a binding");
    assert!(matches!(r, Rejection::BindingMismatch { .. }), "{r}");
}

#[test]
fn an_edited_float_output_is_rejected_and_rounding_noise_is_not() {
    let art = common::artifacts();
    let spec = &art.settings.outputs[0];
    let step = 1.0 / spec.encoding.unit();
    let base = common::proof();
    let proved = judge(&art, &base, &common::dev_statement())
        .unwrap()
        .outputs;
    for (delta, ok) in [
        (0.0, true),
        (0.4 * step, true),
        (-0.4 * step, true),
        (0.6 * step, false),
        (1.0, false),
    ] {
        let mut f = proved[0].clone();
        f[0] += delta;
        let mut p = base.clone();
        p.outputs[0] = nest(&f, &spec.shape);
        match judge(&art, &p, &common::dev_statement()) {
            Ok(v) => {
                assert!(ok, "delta {delta} accepted");
                assert_eq!(v.outputs, proved, "floats come from the integers");
            }
            Err(r) => {
                assert!(!ok, "delta {delta}: {r}");
                assert!(
                    matches!(r, Rejection::EditedValue { element: 0, .. }),
                    "{r}"
                );
            }
        }
    }
}

#[test]
fn other_model_ids_and_old_files_are_rejected() {
    let art = common::artifacts();
    let mut p = common::proof();
    p.model_id = "00".repeat(32);
    let r = judge(&art, &p, &common::dev_statement()).expect_err("other model");
    assert!(matches!(r, Rejection::ModelMismatch { .. }), "{r}");
    let mut st = common::dev_statement();
    st.model_id = Some("ab".repeat(32));
    let r = judge(&art, &common::proof(), &st).expect_err("caller expects another model");
    assert!(matches!(r, Rejection::ModelMismatch { .. }), "{r}");
    // the right id, as published in upper case, is the right id
    st.model_id = Some(art.model_id.to_ascii_uppercase());
    judge(&art, &common::proof(), &st).expect("the model id matches in any case");
    let mut v: serde_json::Value = serde_json::from_slice(&common::bytes("proof.json")).unwrap();
    v["version"] = 1.into();
    let e =
        zkinfer_verifier::ProofFile::parse(v.to_string().as_bytes(), "old.json").expect_err("v1");
    assert!(e.to_string().contains("re-prove"), "{e}");
}

#[test]
fn unreadable_proofs_are_told_apart_from_failing_ones() {
    let art = common::artifacts();
    let mut p = common::proof();
    p.proof.truncate(p.proof.len() / 2);
    let r = judge(&art, &p, &common::dev_statement()).expect_err("truncated");
    assert!(r.is_unreadable(), "{r}");
    let mut p = common::proof();
    p.proof.push_str("00");
    let r = judge(&art, &p, &common::dev_statement()).expect_err("trailing");
    assert!(
        matches!(r, Rejection::TrailingBytes) && r.is_unreadable(),
        "{r}"
    );
    let mut p = common::proof();
    p.proof = "zz".into();
    assert!(judge(&art, &p, &common::dev_statement())
        .unwrap_err()
        .is_unreadable());
}
