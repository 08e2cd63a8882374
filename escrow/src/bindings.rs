//! Typed ABI bindings (alloy `sol!`): the escrow's from its own source, the test contracts' by hand.

#![allow(
    missing_docs,
    missing_debug_implementations,
    clippy::too_many_arguments
)]

use alloy_sol_types::sol;

sol!(
    #[sol(all_derives)]
    "contracts/ZkinferEscrow.sol"
);

sol! {
    /// Test only: accepts exactly the (instances, proof) pairs registered with it.
    interface InstanceCheckVerifier {
        function register(uint256[] calldata instances, bytes calldata proof) external;
    }

    /// Test only: ERC-20s (plain, fee-taking, re-entering).
    interface TestToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    /// Test only: the re-entering ERC-20 and payment receiver share these.
    interface Reentrant {
        function arm(address target, bytes calldata payload) external;
        function attempts() external view returns (uint256);
        function lastOk() external view returns (bool);
        function lastReturn() external view returns (bytes memory);
        function exec(address to, uint256 value, bytes calldata data) external payable returns (bytes memory);
        function setRefuse(bool refuse) external;
    }

    /// Test only: installs any runtime code at one fixed address, again and again (metamorphic contracts).
    interface MetamorphicFactory {
        function target() external view returns (address);
        function deployAndCall(bytes calldata code, address to, bytes calldata data, bool destroy) external returns (address created);
    }
}
