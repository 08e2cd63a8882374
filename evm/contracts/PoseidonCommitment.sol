// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

/// poseidon-solidity's `PoseidonT6` library (circomlib's Poseidon(5) over BN254), called as a contract. Its
/// `hash` is a `public pure` library function written in assembly that expects its own fresh call frame (it
/// reads its inputs at memory 0x80 and ends with `return`), so it is always called externally: a `pure`
/// library function may be called directly (`CALL`/`STATICCALL`) as well as by `DELEGATECALL`.
/// It does not reduce its inputs: every input must be below the scalar modulus.
interface IPoseidonT6 {
    function hash(uint256[5] memory inputs) external pure returns (uint256);
}

/// The commitment to a vector of quantised values (`circuits/src/poseidon/mod.rs`, "The commitment"): values
/// in [0, 2^24) packed ten to a field element, little-endian at 24 bits each; elements
/// `E = [salt, n, P_0, ..., P_{m-1}]`; a chain of circomlib Poseidon(5) calls
/// `h_1 = Poseidon(E_0..E_4)`, `h_{j+1} = Poseidon(h_j, next four elements)`, missing elements 0; the
/// commitment is the last `h`. The same value as `zkinfer_circuits::poseidon::commit` and
/// `tools/poseidon-js/commit.js` (poseidon-lite): `evm/tests/poseidon_parity.rs`.
///
/// A contract that is given an opening (values and salt) checks it with `commit(values, salt) == commitment`.
contract ZkinferPoseidonCommitment {
    /// BN254's scalar modulus: the salt (a field element) must be below it.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// Bits of one committed value.
    uint256 internal constant VALUE_BITS = 24;
    /// Values packed into one element.
    uint256 internal constant PER_ELEMENT = 10;

    /// The PoseidonT6 library called (on public chains, poseidon-solidity's deterministic deployment
    /// 0x666333F371685334CdD69bdDdaFBABc87CE7c7Db; whoever deploys this contract chooses and so vouches for it).
    IPoseidonT6 public immutable poseidon;

    /// A value outside [0, 2^24).
    error ValueOutOfRange(uint256 index, uint256 value);
    /// A salt that is not a field element (>= the scalar modulus).
    error SaltOutOfField(uint256 salt);
    /// No code at the PoseidonT6 address given to the constructor.
    error NoPoseidon(address at);

    constructor(IPoseidonT6 poseidonT6) {
        if (address(poseidonT6).code.length == 0) revert NoPoseidon(address(poseidonT6));
        poseidon = poseidonT6;
    }

    /// The commitment to `values` (each in [0, 2^24), else `ValueOutOfRange`) under `salt` (below the scalar
    /// modulus, else `SaltOutOfField`).
    function commit(uint256[] calldata values, uint256 salt) external view returns (uint256) {
        if (salt >= P) revert SaltOutOfField(salt);
        uint256 n = values.length;
        // elements: salt, n, then m = ceil(n / 10) packed elements
        uint256 len = 2 + (n + PER_ELEMENT - 1) / PER_ELEMENT;
        uint256[5] memory block_;
        for (uint256 i = 0; i < 5; ) {
            block_[i] = _element(values, salt, i, len);
            unchecked {
                ++i;
            }
        }
        uint256 h = poseidon.hash(block_);
        for (uint256 e = 5; e < len; ) {
            block_[0] = h;
            for (uint256 i = 1; i < 5; ) {
                block_[i] = _element(values, salt, e + i - 1, len);
                unchecked {
                    ++i;
                }
            }
            h = poseidon.hash(block_);
            unchecked {
                e += 4;
            }
        }
        return h;
    }

    /// Element `k` of `E = [salt, n, P_0, ..., P_{m-1}]` (0 past its end).
    function _element(uint256[] calldata values, uint256 salt, uint256 k, uint256 len) private pure returns (uint256) {
        if (k >= len) return 0;
        if (k == 0) return salt;
        if (k == 1) return values.length;
        return _pack(values, k - 2);
    }

    /// `P_j = sum_{i<10} u_{10j+i} * 2^(24 i)`, each value checked to be below 2^24 (240 bits: below the modulus).
    function _pack(uint256[] calldata values, uint256 j) private pure returns (uint256 packed) {
        uint256 start = j * PER_ELEMENT;
        uint256 end = start + PER_ELEMENT;
        if (end > values.length) end = values.length;
        for (uint256 i = start; i < end; ) {
            uint256 v = values[i];
            if (v >> VALUE_BITS != 0) revert ValueOutOfRange(i, v);
            unchecked {
                packed |= v << (VALUE_BITS * (i - start));
                ++i;
            }
        }
    }
}
