// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// @notice TEST ONLY. An account controlled by a test that acts through `exec` (as a buyer, provider or owner)
/// and, when armed, re-enters `target` with `payload` from its receive function when paid ETH, recording
/// whether the re-entrant call succeeded. `refuse` makes it reject ETH instead.
contract ReentrantReceiver {
    address public target;
    bytes public payload;
    bool public armed;
    bool public refuse;
    uint256 public attempts;
    bool public lastOk;
    bytes public lastReturn;

    function exec(address to, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    receive() external payable {
        require(!refuse, "ReentrantReceiver: refusing ETH");
        if (!armed) return;
        armed = false;
        attempts += 1;
        (bool ok, bytes memory ret) = target.call(payload);
        lastOk = ok;
        lastReturn = ret;
    }
}
