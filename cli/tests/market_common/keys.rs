//! Model folders with the wrong keys: copies of a set-up folder, and the keys of a second `zkinfer setup`
//! of the same model on another SRS (readable, made for the same settings, but not the listed vk's).

use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use std::path::{Path, PathBuf};
use zkinfer_prover::{pipeline, ModelDir};

/// A copy of a model folder.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in std::fs::read_dir(from).expect("dir") {
        let f = f.expect("entry");
        if f.file_type().expect("type").is_file() {
            std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
        }
    }
}

/// A copy of the set-up folder `dir` in `into`, set up again on a fresh random SRS: its `pk.bin`,
/// `vk.bin`, `kzg.srs` and `verifier_params.bin` are those of a second `zkinfer setup`.
pub fn second_setup(dir: &Path, into: &Path) -> PathBuf {
    copy_dir(dir, into);
    let md = ModelDir::new(into);
    let (settings, _) = md.settings().expect("settings");
    let params = ParamsKZG::<Bn256>::setup(settings.k, rand::rngs::OsRng);
    let srs = into.join("another.srs");
    zkinfer_prover::srs::write_params(&params, &srs).expect("write the SRS");
    pipeline::setup(&md, Some(&srs)).expect("second setup");
    into.to_path_buf()
}
