//! An in-memory EVM chain (revm, the EVM inside reth and foundry): accounts with ETH, deployments,
//! transactions that commit, read-only calls, block time and chain id under the caller's control.

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, ContextTr, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainBuilder, MainContext, MainnetContext, MainnetEvm};
use revm::state::AccountInfo;
use revm::{Context, Database, ExecuteCommitEvm, ExecuteEvm};

use crate::error::EscrowError;

type Db = CacheDB<EmptyDB>;
type Evm = MainnetEvm<MainnetContext<Db>>;

/// Gas limit of every transaction.
pub const TX_GAS_LIMIT: u64 = 30_000_000;
/// The first block's timestamp.
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It succeeded.
    Success,
    /// It reverted (REVERT): `output` holds the revert data.
    Revert,
    /// It halted (out of gas, invalid opcode...), with revm's reason.
    Halt(String),
}

/// The result of a committed transaction or a call.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// How it ended.
    pub status: Status,
    /// Gas used, including the 21,000 of the transaction and calldata.
    pub gas_used: u64,
    /// Return data (success) or revert data.
    pub output: Bytes,
    /// Logs (success only).
    pub logs: Vec<Log>,
    /// The created contract (deployments).
    pub created: Option<Address>,
}

impl Receipt {
    /// Whether it succeeded.
    pub fn success(&self) -> bool {
        self.status == Status::Success
    }
}

/// An in-memory chain.
#[allow(missing_debug_implementations)] // revm's EVM has no Debug
pub struct Chain {
    evm: Evm,
}

impl Chain {
    /// A new empty chain with `chain_id`, at [`GENESIS_TIME`], block 1, base fee 0.
    pub fn new(chain_id: u64) -> Self {
        let mut cfg = CfgEnv::default();
        cfg.chain_id = chain_id;
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(GENESIS_TIME),
            gas_limit: TX_GAS_LIMIT * 10,
            basefee: 0,
            ..BlockEnv::default()
        };
        let ctx = Context::mainnet()
            .with_db(CacheDB::new(EmptyDB::default()))
            .with_cfg(cfg)
            .with_block(block);
        Self {
            evm: ctx.build_mainnet(),
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.evm.ctx.cfg.chain_id
    }

    /// The current block's timestamp.
    pub fn timestamp(&self) -> u64 {
        self.evm.ctx.block.timestamp.saturating_to()
    }

    /// Moves time forward by `secs` and starts a new block.
    pub fn advance(&mut self, secs: u64) {
        let block = &mut self.evm.ctx.block;
        block.timestamp = block.timestamp.saturating_add(U256::from(secs));
        block.number = block.number.saturating_add(U256::from(1));
    }

    /// Sets `who`'s ETH balance to `wei`.
    pub fn fund(&mut self, who: Address, wei: U256) {
        let db = self.evm.ctx.db_mut();
        let mut info = db.basic(who).ok().flatten().unwrap_or_default();
        info.balance = wei;
        db.insert_account_info(who, info);
    }

    /// `who`'s ETH balance.
    pub fn balance(&mut self, who: Address) -> U256 {
        self.account(who).balance
    }

    /// The size of `who`'s code.
    pub fn code_size(&mut self, who: Address) -> usize {
        self.account(who).code.map(|c| c.len()).unwrap_or(0)
    }

    fn account(&mut self, who: Address) -> AccountInfo {
        self.evm
            .ctx
            .db_mut()
            .basic(who)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Deploys `initcode` (creation code followed by ABI-encoded constructor arguments) from `from`.
    pub fn deploy(
        &mut self,
        from: Address,
        name: &str,
        initcode: &[u8],
    ) -> Result<Receipt, EscrowError> {
        let receipt = self.execute(
            from,
            TxKind::Create,
            U256::ZERO,
            initcode.to_vec().into(),
            true,
        )?;
        match receipt.created {
            Some(_) if receipt.success() => Ok(receipt),
            _ => Err(EscrowError::DeployFailed {
                name: name.to_string(),
                outcome: describe(&receipt),
            }),
        }
    }

    /// Sends a transaction from `from` to `to` with `value` wei and `data`, and commits its effects. A revert
    /// is a [`Receipt`] with [`Status::Revert`], not an error.
    pub fn transact(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: Vec<u8>,
    ) -> Result<Receipt, EscrowError> {
        self.execute(from, TxKind::Call(to), value, data.into(), true)
    }

    /// Calls `to` with `data` from `from` without committing anything (an `eth_call`).
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Receipt, EscrowError> {
        self.execute(from, TxKind::Call(to), U256::ZERO, data.into(), false)
    }

    fn execute(
        &mut self,
        from: Address,
        kind: TxKind,
        value: U256,
        data: Bytes,
        commit: bool,
    ) -> Result<Receipt, EscrowError> {
        let nonce = self.account(from).nonce;
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .value(value)
            .data(data)
            .nonce(nonce)
            .gas_limit(TX_GAS_LIMIT)
            .gas_price(0)
            .chain_id(Some(self.chain_id()))
            .build_fill();
        let result = if commit {
            self.evm.transact_commit(tx)
        } else {
            self.evm.transact(tx).map(|r| r.result)
        }
        .map_err(|e| EscrowError::Invalid {
            reason: e.to_string(),
        })?;
        Ok(match result {
            ExecutionResult::Success {
                gas_used,
                logs,
                output,
                ..
            } => {
                let (output, created) = match output {
                    Output::Call(bytes) => (bytes, None),
                    Output::Create(bytes, address) => (bytes, address),
                };
                Receipt {
                    status: Status::Success,
                    gas_used,
                    output,
                    logs,
                    created,
                }
            }
            ExecutionResult::Revert { gas_used, output } => Receipt {
                status: Status::Revert,
                gas_used,
                output,
                logs: Vec::new(),
                created: None,
            },
            ExecutionResult::Halt { reason, gas_used } => Receipt {
                status: Status::Halt(format!("{reason:?}")),
                gas_used,
                output: Bytes::new(),
                logs: Vec::new(),
                created: None,
            },
        })
    }
}

/// A short description of a failed receipt: the revert data in hex or the halt reason.
pub fn describe(receipt: &Receipt) -> String {
    match &receipt.status {
        Status::Success => "success".to_string(),
        Status::Revert => format!("reverted with 0x{}", hex::encode(&receipt.output)),
        Status::Halt(reason) => format!("halted: {reason}"),
    }
}
