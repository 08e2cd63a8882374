//! An in-memory EVM chain (revm, the EVM inside reth and foundry) for deploying and calling contracts in tests
//! and in `zkinfer evm verify`: no network, no signatures, gas price 0, one block whose number and timestamp
//! the caller moves.
//!
//! ```no_run
//! use zkinfer_evm::runtime::{Chain, address, U256};
//! let mut chain = Chain::new();
//! let alice = address(0xa11ce);
//! chain.fund(alice, zkinfer_evm::runtime::ether(10));
//! # let initcode: Vec<u8> = Vec::new(); let calldata: Vec<u8> = Vec::new();
//! let deployed = chain.deploy(alice, &initcode, &[], U256::ZERO)?;
//! let out = chain.call(alice, deployed.address, &calldata, U256::ZERO)?;
//! println!("{} gas, reverted: {:?}", out.gas_used, out.revert_reason());
//! # Ok::<(), zkinfer_evm::runtime::ChainError>(())
//! ```

use revm::context::result::{ExecutionResult, Output};
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::{hardfork::SpecId, TxKind};
use revm::state::AccountInfo;
use revm::{DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use thiserror::Error;

pub use revm::primitives::{keccak256, Address, Bytes, Log, B256, U256};

/// The chain id of a new [`Chain`] (the local-development id of Hardhat and Anvil).
pub const DEFAULT_CHAIN_ID: u64 = 31337;
/// The gas limit of every transaction (a mainnet block's).
pub const TX_GAS_LIMIT: u64 = 30_000_000;
/// The gas limit of a chain [`Chain::without_code_size_limit`].
pub const MEASURING_GAS_LIMIT: u64 = 2_000_000_000;
/// EIP-170: the most runtime code a contract may have.
pub const MAX_CODE_SIZE: usize = 24_576;

/// Why a transaction could not run at all (a reverted transaction is an [`Outcome`], not an error).
#[derive(Debug, Error)]
pub enum ChainError {
    /// revm refused the transaction (bad nonce, not enough balance for the value, ...).
    #[error("the transaction is invalid: {what}")]
    Invalid {
        /// revm's message.
        what: String,
    },
    /// A deployment reverted or halted.
    #[error("deployment failed: {outcome}")]
    DeployFailed {
        /// What happened.
        outcome: Box<Outcome>,
    },
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It succeeded.
    Success,
    /// It ran `REVERT`.
    Revert,
    /// It halted exceptionally (out of gas, invalid opcode, code too large, ...): revm's reason.
    Halt(String),
}

/// What a transaction did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Gas used by the whole transaction (including the 21,000 base and the calldata).
    pub gas_used: u64,
    /// Return data (or revert data).
    pub output: Vec<u8>,
    /// Events emitted (none when it did not succeed).
    pub logs: Vec<Log>,
    /// The created contract, for a deployment that succeeded.
    pub created: Option<Address>,
}

impl Outcome {
    /// Whether it succeeded.
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }

    /// Why it reverted, decoded: `Error(string)`'s message, `Panic(uint256)`'s code, a custom error's selector
    /// and data in hex, `""` for a bare revert; `None` when it did not revert.
    pub fn revert_reason(&self) -> Option<String> {
        match &self.status {
            Status::Success => None,
            Status::Halt(why) => Some(format!("halted: {why}")),
            Status::Revert => Some(decode_revert(&self.output)),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.revert_reason() {
            None => write!(f, "success, {} gas", self.gas_used),
            Some(r) => write!(f, "reverted ({r}), {} gas", self.gas_used),
        }
    }
}

/// Decodes revert data: `Error(string)`, `Panic(uint256)`, else `0x<hex>`.
pub fn decode_revert(data: &[u8]) -> String {
    const ERROR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    const PANIC: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
    if data.len() >= 68 && data[..4] == ERROR {
        let len = U256::from_be_slice(&data[36..68]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if let Some(msg) = data.get(68..68usize.saturating_add(len)) {
            return String::from_utf8_lossy(msg).into_owned();
        }
    }
    if data.len() == 36 && data[..4] == PANIC {
        return format!("panic 0x{:02x}", U256::from_be_slice(&data[4..36]));
    }
    if data.is_empty() {
        String::new()
    } else {
        format!("0x{}", hex::encode(data))
    }
}

/// A deployed contract.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// Its runtime code size in bytes.
    pub code_size: usize,
    /// Gas the deployment used.
    pub gas_used: u64,
    /// Events its constructor emitted.
    pub logs: Vec<Log>,
}

/// The address `0x00..00<n>` (a readable test account).
pub fn address(n: u64) -> Address {
    let mut b = [0u8; 20];
    b[12..].copy_from_slice(&n.to_be_bytes());
    Address::from(b)
}

/// `n` ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000_000_000_000u128)
}

/// An in-memory chain: accounts, contracts, one moving block.
#[derive(Debug, Clone)]
pub struct Chain {
    db: CacheDB<EmptyDB>,
    chain_id: u64,
    block_number: u64,
    timestamp: u64,
    /// Enforce EIP-170 on deployments (on by default, as on every real chain).
    limit_code_size: bool,
    gas_limit: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// An empty chain with id [`DEFAULT_CHAIN_ID`], at block 1, time 1,700,000,000, latest hard fork (Prague).
    pub fn new() -> Self {
        Self {
            db: CacheDB::new(EmptyDB::default()),
            chain_id: DEFAULT_CHAIN_ID,
            block_number: 1,
            timestamp: 1_700_000_000,
            limit_code_size: true,
            gas_limit: TX_GAS_LIMIT,
        }
    }

    /// The same chain with another id.
    pub fn with_chain_id(mut self, id: u64) -> Self {
        self.chain_id = id;
        self
    }

    /// The same chain without EIP-170 and with a 2,000,000,000 gas limit per transaction, to deploy and measure
    /// a contract that is too large for a real chain.
    pub fn without_code_size_limit(mut self) -> Self {
        self.limit_code_size = false;
        self.gas_limit = MEASURING_GAS_LIMIT;
        self
    }

    /// The chain id (`block.chainid`).
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The current block's timestamp (`block.timestamp`).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The current block's number.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// Moves time (and the block number, by one) forward.
    pub fn advance(&mut self, seconds: u64) {
        self.timestamp = self.timestamp.saturating_add(seconds);
        self.block_number = self.block_number.saturating_add(1);
    }

    /// Sets an account's balance (creating it).
    pub fn fund(&mut self, who: Address, wei: U256) {
        let info = self.info(who);
        self.db.insert_account_info(
            who,
            AccountInfo {
                balance: wei,
                ..info
            },
        );
    }

    fn info(&self, who: Address) -> AccountInfo {
        match self.db.basic_ref(who) {
            Ok(Some(info)) => info,
            Ok(None) | Err(_) => AccountInfo::default(),
        }
    }

    /// An account's balance in wei.
    pub fn balance(&self, who: Address) -> U256 {
        self.info(who).balance
    }

    /// The runtime code at an address (empty for an account without code).
    pub fn code(&self, at: Address) -> Vec<u8> {
        let info = self.info(at);
        let code = match info.code {
            Some(c) => Some(c),
            None => self.db.code_by_hash_ref(info.code_hash).ok(),
        };
        code.map(|c| c.original_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The runtime code size at an address.
    pub fn code_size(&self, at: Address) -> usize {
        self.code(at).len()
    }

    /// Deploys `initcode ‖ ctor_args` from `from`, sending `value` wei. A reverted or halted constructor (or
    /// runtime code over [`MAX_CODE_SIZE`]) is [`ChainError::DeployFailed`].
    pub fn deploy(
        &mut self,
        from: Address,
        initcode: &[u8],
        ctor_args: &[u8],
        value: U256,
    ) -> Result<Deployed, ChainError> {
        let mut data = initcode.to_vec();
        data.extend_from_slice(ctor_args);
        let out = self.execute(from, TxKind::Create, data, value, true)?;
        match out.created {
            Some(address) if out.is_success() => Ok(Deployed {
                address,
                code_size: self.code_size(address),
                gas_used: out.gas_used,
                logs: out.logs,
            }),
            _ => Err(ChainError::DeployFailed {
                outcome: Box::new(out),
            }),
        }
    }

    /// Sends a transaction from `from` to `to` with `calldata` and `value` wei, keeping its effects when it
    /// succeeds (a reverted transaction changes nothing but the sender's nonce).
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
    ) -> Result<Outcome, ChainError> {
        self.execute(from, TxKind::Call(to), calldata.to_vec(), value, true)
    }

    /// Runs a call and throws its effects away (an `eth_call`).
    pub fn view(&self, from: Address, to: Address, calldata: &[u8]) -> Result<Outcome, ChainError> {
        let mut scratch = self.clone();
        scratch.execute(from, TxKind::Call(to), calldata.to_vec(), U256::ZERO, false)
    }

    fn execute(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Vec<u8>,
        value: U256,
        commit: bool,
    ) -> Result<Outcome, ChainError> {
        let nonce = self.info(from).nonce;
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(Bytes::from(data))
            .value(value)
            .nonce(nonce)
            .gas_limit(self.gas_limit)
            .gas_price(0)
            .chain_id(Some(self.chain_id))
            .build()
            .map_err(|e| ChainError::Invalid {
                what: format!("{e:?}"),
            })?;
        let (chain_id, number, timestamp, limit, gas_limit) = (
            self.chain_id,
            self.block_number,
            self.timestamp,
            self.limit_code_size,
            self.gas_limit,
        );
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .modify_cfg_chained(|cfg| {
                cfg.chain_id = chain_id;
                cfg.spec = SpecId::PRAGUE;
                if !limit {
                    cfg.limit_contract_code_size = Some(usize::MAX);
                    cfg.limit_contract_initcode_size = Some(usize::MAX);
                    cfg.tx_gas_limit_cap = Some(u64::MAX);
                }
            })
            .modify_block_chained(|block| {
                block.number = U256::from(number);
                block.timestamp = U256::from(timestamp);
                block.gas_limit = gas_limit;
                block.basefee = 0;
            })
            .build_mainnet();
        let result = if commit {
            evm.transact_commit(tx)
        } else {
            evm.transact(tx).map(|r| r.result)
        }
        .map_err(|e| ChainError::Invalid {
            what: e.to_string(),
        })?;
        Ok(match result {
            ExecutionResult::Success {
                gas_used,
                logs,
                output,
                ..
            } => {
                let (output, created) = match output {
                    Output::Call(b) => (b.to_vec(), None),
                    Output::Create(b, a) => (b.to_vec(), a),
                };
                Outcome {
                    status: Status::Success,
                    gas_used,
                    output,
                    logs,
                    created,
                }
            }
            ExecutionResult::Revert { gas_used, output } => Outcome {
                status: Status::Revert,
                gas_used,
                output: output.to_vec(),
                logs: Vec::new(),
                created: None,
            },
            ExecutionResult::Halt { reason, gas_used } => Outcome {
                status: Status::Halt(format!("{reason:?}")),
                gas_used,
                output: Vec::new(),
                logs: Vec::new(),
                created: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_data_is_decoded() {
        let mut d = vec![0x08, 0xc3, 0x79, 0xa0];
        d.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        d.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
        d.extend_from_slice(b"bad\0\0");
        assert_eq!(decode_revert(&d), "bad");
        assert_eq!(decode_revert(&[]), "");
        assert_eq!(decode_revert(&[1, 2]), "0x0102");
    }

    #[test]
    fn value_transfers_and_raw_code_deploys() {
        let mut chain = Chain::new();
        let (a, b) = (address(1), address(2));
        chain.fund(a, ether(2));
        let out = chain.call(a, b, &[], ether(1)).expect("transfer");
        assert!(out.is_success(), "{out}");
        assert_eq!(chain.balance(b), ether(1));
        // initcode returning the 1-byte runtime `STOP`: PUSH1 1 PUSH1 0 PUSH1 0 CODECOPY ... simplified as
        // "return memory[0..1]" of a zero byte
        let initcode = [0x60, 0x01, 0x60, 0x00, 0xf3];
        let d = chain.deploy(a, &initcode, &[], U256::ZERO).expect("deploy");
        assert_eq!(d.code_size, 1);
        assert_eq!(chain.code(d.address), vec![0]);
        // calling it succeeds with no output
        let out = chain.view(a, d.address, &[1, 2, 3]).expect("call");
        assert!(out.is_success() && out.output.is_empty());
    }

    #[test]
    fn eip170_is_enforced_unless_lifted() {
        // initcode returning 24,577 zero bytes: PUSH2 0x6001 PUSH1 0 RETURN
        let initcode = [0x61, 0x60, 0x01, 0x60, 0x00, 0xf3];
        let mut chain = Chain::new();
        let e = chain
            .deploy(address(1), &initcode, &[], U256::ZERO)
            .expect_err("too large");
        assert!(matches!(e, ChainError::DeployFailed { .. }), "{e}");
        let mut big = Chain::new().without_code_size_limit();
        let d = big
            .deploy(address(1), &initcode, &[], U256::ZERO)
            .expect("deploys without the limit");
        assert_eq!(d.code_size, MAX_CODE_SIZE + 1);
    }
}
