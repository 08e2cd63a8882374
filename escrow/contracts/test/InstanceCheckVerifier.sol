// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// @notice TEST ONLY. Stands in for snark-verifier's generated verifier with the same calling convention
/// (calldata = public instances as 32-byte words, then the proof; empty return on success, revert on
/// failure), so that every escrow rule is tested independently of proving. A "proof" is accepted only for
/// the exact instance vector it was registered with (`register`), as a real proof verifies only for the
/// instances it was made for: a changed instance (input, output, digest, binding) or proof byte is refused.
contract InstanceCheckVerifier {
    /// keccak256(instances ‖ proof) of every registered (instances, proof) pair.
    mapping(bytes32 => bool) public registered;

    /// Registers `proof` as valid for exactly `instances`.
    function register(uint256[] calldata instances, bytes calldata proof) external {
        registered[keccak256(abi.encodePacked(instances, proof))] = true;
    }

    fallback(bytes calldata input) external returns (bytes memory) {
        require(registered[keccak256(input)], "InstanceCheckVerifier: proof does not match instances");
        return "";
    }
}

/// @notice TEST ONLY. A verifier in the style that returns a bool instead of reverting: always `false`.
contract FalseVerifier {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(false);
    }
}
