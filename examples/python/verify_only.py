"""Verify a proof with only the verifier files of a model: settings.json, vk.bin and verifier_params.bin
(a few KB; no proving key, no ONNX model, no torch). Exit 0 valid, 1 invalid, 2 unreadable files.

    python examples/python/verify_only.py MODEL_DIR PROOF.json [--allow-dev-srs] [--model-id ID]
"""

import argparse
import sys

import zkinfer

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("dir", help="a folder with settings.json, vk.bin and verifier_params.bin")
p.add_argument("proof", help="a proof file (zkinfer prove --proof, or Proof.save)")
p.add_argument("--allow-dev-srs", action="store_true", help="accept a development SRS (development only)")
p.add_argument("--model-id", help="the model id its owner published")
a = p.parse_args()

try:
    v = zkinfer.verify(a.dir, a.proof, allow_dev_srs=a.allow_dev_srs, model_id=a.model_id)
except zkinfer.InvalidProof as e:
    print(f"INVALID ({e.code}): {e.reason}")
    sys.exit(1)
except (zkinfer.ArtifactError, OSError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
print(f"VALID ({v.seconds * 1e3:.1f} ms)")
print(f"srs: {v.srs}")
print(f"model: {v.model_id}")
print(f"outputs: {[o.tolist() for o in v.outputs]}")
