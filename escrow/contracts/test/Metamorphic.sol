// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// Test only: the metamorphic-contract pattern. Every `Morph` the factory creates has the same init code and
/// salt, hence the same address, but installs whatever runtime code the factory holds at the time. Where
/// SELFDESTRUCT still clears code (before EIP-6780, or in the transaction that created the contract), the
/// code at one address can be replaced: a listing must pin its verifier's code, not only its address.
contract Morph {
    constructor() {
        bytes memory code = MetamorphicFactory(msg.sender).runtime();
        assembly {
            return(add(code, 0x20), mload(code))
        }
    }
}

contract MetamorphicFactory {
    bytes public runtime;

    /// The one address every `Morph` of this factory is created at.
    function target() external view returns (address) {
        bytes32 h = keccak256(
            abi.encodePacked(bytes1(0xff), address(this), bytes32(0), keccak256(type(Morph).creationCode))
        );
        return address(uint160(uint256(h)));
    }

    /// Installs `code` at `target()`; then, in the same transaction, calls `to` with `data` (unless `to` is
    /// zero) and, when `destroy`, calls the new contract, whose code must self-destruct when the factory
    /// calls it.
    function deployAndCall(bytes calldata code, address to, bytes calldata data, bool destroy)
        external
        returns (address created)
    {
        runtime = code;
        created = address(new Morph{salt: bytes32(0)}());
        if (to != address(0)) {
            (bool ok, bytes memory ret) = to.call(data);
            if (!ok) {
                assembly {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
        if (destroy) {
            (bool ok,) = created.call("");
            require(ok, "destroy failed");
        }
    }
}
