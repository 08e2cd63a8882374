// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// @notice The subset of ERC-20 the escrow calls. Tokens that return nothing from `transfer`/`transferFrom`
/// (USDT-style) are accepted; tokens that take a fee on transfer are refused (the balance must move by the
/// exact amount).
interface IERC20Minimal {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// @title ZkinferEscrow: pays a provider only for a valid zkinfer proof bound to the job and to the provider.
/// @notice A model owner lists a model: the address of its verifier contract (snark-verifier's generated
/// verifier: calldata = the public instances as 32-byte words, then the proof; it returns nothing on success
/// and reverts otherwise), the model's settings digest, its numbers of input and output instances (the
/// split), the calibrated range of every input instance (stored integers in [0, 2^bits), per input tensor;
/// or, for a model compiled with hashed inputs, COMMITMENT_BITS: the tensor's one instance is the Poseidon
/// commitment to its stored values under the buyer's secret salt, any field element below r), the price, the owner's royalty, the collateral a provider must lock (at least MIN_COLLATERAL_BPS of the
/// price), the claim timeout (at most MAX_CLAIM_TIMEOUT) and the minimum claim window. Listing takes a
/// proof the verifier accepts for the listing's digest and instance count (an example statement bound to
/// the owner), so a listing whose digest or counts do not match its verifier cannot exist. A buyer creates
/// a job with the quantised input (range-checked against the listing's calibrated ranges), or with the input's
/// commitment where the listing's range says COMMITMENT_BITS (checked below r; the buyer hands the opening,
/// values and salt, to the provider off chain), and escrows the price (the keccak of the input instances is
/// the job's `inputsHash`), in ETH or the listing's ERC-20. A provider claims the job (only
/// while at least the listing's minimum claim window is left before the job's deadline), locking
/// collateral, and submits the outputs and a proof. The escrow builds the instance vector itself (inputs ‖
/// outputs ‖ settings digest ‖ binding value) and calls the verifier; on success the provider is credited
/// the price minus the royalty plus its collateral plus the job's bounty, and the owner the royalty, to be
/// withdrawn (pull payments). A refused proof changes nothing: the claimant may submit a valid one until the
/// claim deadline; after it anyone may expire the claim. A claim that is abandoned or expires is slashed as
/// the off-chain market slashes a timeout: half of the collateral is burned, half goes to the job's bounty
/// (paid to the provider that settles the job, burned if the job is cancelled or refunded), so neither the
/// buyer nor anyone else profits from a failed claim. The job then reopens if at least the minimum claim
/// window is left, else its price is refunded to the buyer.
///
/// @dev Threat model.
/// - Trusted: the listing's verifier, as set by the model owner. The escrow checks at list time that the
///   verifier accepts a proof for the listing's digest and instance count (nInputs + nOutputs + 2), but it
///   cannot see which model the verifier is of, nor where its statement splits inputs from outputs (the
///   settings digest commits to both, off chain). A buyer and a provider must check, before trusting a
///   listing, that the verifier is the generated verifier of the model they want (its code hash, pinned in
///   the listing, and in the split layout its data contract's code hash, against `zkinfer export-evm`'s
///   output), and that the digest, the split and the input ranges are that model's (`manifest.json` states
///   them): `zkinfer escrow check-listing` does all of it. A listing is immutable
///   except for its `active` flag, so a job's terms never change after it is created; the verifier's code
///   hash is recorded when it is listed and checked on every submit, so code replaced at the same address
///   (a metamorphic contract, where SELFDESTRUCT still clears code) refuses every proof.
/// - Not trusted: buyers, providers, tokens, receivers of payments and anyone watching the mempool.
///   * A copied or front-run proof pays nobody but its maker: the last instance is
///     keccak256(chain id ‖ this contract ‖ job id ‖ msg.sender) mod r, computed here from `msg.sender`, so a
///     proof made for one (chain, escrow, job, provider) fails the verifier for every other one, and only the
///     job's claimant may submit at all.
///   * A proof for another input or another model fails: the inputs must hash to the job's `inputsHash` and
///     the digest instance is the listing's, both filled in by this contract, never by the submitter. For a
///     hashed input the instance is the buyer's commitment: a proof of the same values under another salt (or
///     of other values) is a proof for another commitment and fails the verifier. Every
///     instance is checked to be a canonical field element (< r), so an output cannot be recorded in a form
///     other than the one the verifier checked.
///   * Griefing by buyers: a committed input outside the listing's calibrated ranges (which no proof can
///     exist for) is refused at createJob, and so is a commitment >= r (InstanceOutOfField). What a hashed
///     input's commitment opens to cannot be seen on chain: a provider checks the opening it receives off
///     chain (it opens the job's commitment, its values lie in the model's ranges) before it claims, and
///     does not claim a job whose buyer sent no valid opening (`zkinfer prove --input OPENINGS` refuses one); slashed collateral never goes to the buyer (half burned, half
///     to the job's bounty, which a cancel or refund burns), so letting claims lapse gains a buyer nothing.
///   * Griefing by providers (claim squatting): collateral is at least MIN_COLLATERAL_BPS of the price, a
///     claim lasts at most MAX_CLAIM_TIMEOUT, and an abandoned or lapsed claim loses its collateral.
///   * Late claims: a claim needs at least the listing's minClaimWindow (>= MIN_CLAIM_TIMEOUT) before the
///     job's deadline, so a valid proof always has that long; a job is created with at least that long.
///   * Replays: a job settles once (state machine); a second submit, a second settlement or a second
///     withdrawal of the same credit reverts.
///   * Reentrancy (a malicious ERC-20, a receiver's fallback, a malicious verifier): every state-changing
///     function is `nonReentrant`; state is written before any external call (checks-effects-interactions);
///     the verifier is called with STATICCALL; payments are pulled by their owner with `withdraw`, so a
///     receiver that reverts only blocks its own payment.
///   * Gas games: a verifier call that runs out of gas reverts the submission like a refused proof, so the
///     submitter cannot turn its own gas limit into a state change.
///   * Arithmetic: amounts are at most MAX_AMOUNT (2^128 - 1) and royalty at most 10,000 bps, so
///     price * royaltyBps fits in 256 bits; Solidity 0.8 checks every other operation. There are no loops
///     over unbounded data: the per-instance loops are bounded by the listing's instance counts, which are at
///     most MAX_INSTANCES each.
///   * Time: block timestamps may drift by seconds; deadlines are meant to be minutes or more apart.
contract ZkinferEscrow {
    /// @notice The BN254 scalar field order r: every public instance is an integer below it.
    uint256 public constant SCALAR_MODULUS =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Basis points in the whole price.
    uint256 public constant BPS = 10_000;
    /// @notice The largest price or collateral a listing may name.
    uint256 public constant MAX_AMOUNT = type(uint128).max;
    /// @notice The most input (or output) instances a listing may name.
    uint256 public constant MAX_INSTANCES = 4096;
    /// @notice Bounds of a listing's claim timeout, in seconds.
    uint256 public constant MIN_CLAIM_TIMEOUT = 60;
    uint256 public constant MAX_CLAIM_TIMEOUT = 1 days;
    /// @notice The least collateral a listing may ask, in basis points of its price (claim squatting costs).
    uint256 public constant MIN_COLLATERAL_BPS = 1_000;
    /// @notice The most input ranges (input tensors) a listing may name, and the widest range (bits).
    uint256 public constant MAX_INPUT_RANGES = 16;
    uint256 public constant MAX_INPUT_BITS = 64;
    /// @notice The `bits` of an input range whose instances are field elements (< r), not stored integers: a
    /// hashed input tensor's one instance, the Poseidon commitment to its values under a salt. A reserved
    /// `bits` value rather than a new field keeps the ABI of `list`, `getInputRanges` and `ModelListed`, and
    /// every listing of a public model (bits 1..MAX_INPUT_BITS) means what it meant; 254 is the field's bit
    /// length (r < 2^254), so a reader that takes `bits` for a width sizes the instance right, and the
    /// escrow checks the exact bound, value < r.
    uint8 public constant COMMITMENT_BITS = 254;
    /// @notice The furthest a job's deadline may lie in the future.
    uint256 public constant MAX_JOB_DURATION = 365 days;

    /// @notice A job's state. Settled, Cancelled and Refunded are terminal.
    enum State {
        None,
        Open,
        Claimed,
        Settled,
        Cancelled,
        Refunded
    }

    /// @notice What a model owner names when listing a model. `token` is address(0) for ETH.
    struct ListingParams {
        address verifier;
        address token;
        uint256 settingsDigest;
        uint32 nInputs;
        uint32 nOutputs;
        uint128 price;
        uint16 royaltyBps;
        uint128 collateral;
        uint32 claimTimeout;
        /// The least time a claim must have before the job's deadline, in seconds
        /// (MIN_CLAIM_TIMEOUT <= minClaimWindow <= claimTimeout): a claim with less left is refused, and a
        /// failed claim reopens its job only if this much is left.
        uint32 minClaimWindow;
    }

    /// @notice `count` consecutive input instances whose stored integers lie in [0, 2^bits): one per input
    /// tensor of the model (its calibrated fixed-point encoding, `settings.inputs[i].encoding.bits`); or, with
    /// bits == COMMITMENT_BITS, `count` commitments (field elements below r): one per hashed input tensor
    /// (count 1). A private input tensor has no instance and no range.
    struct InputRange {
        uint32 count;
        uint8 bits;
    }

    /// @notice A statement and proof the listing's verifier must accept when the model is listed: inputs
    /// (in range) ‖ outputs ‖ settings digest ‖ listingBindValue(owner).
    struct ListingProof {
        uint256[] inputs;
        uint256[] outputs;
        bytes proof;
    }

    struct Listing {
        address owner;
        uint16 royaltyBps;
        uint32 claimTimeout;
        uint32 minClaimWindow;
        bool active;
        address verifier;
        uint32 nInputs;
        uint32 nOutputs;
        address token;
        uint128 price;
        uint128 collateral;
        uint256 settingsDigest;
        /// The verifier's code hash when listed (EXTCODEHASH): what a buyer compares with the model's verifier.
        bytes32 verifierCodehash;
    }

    struct Job {
        uint64 listingId;
        address buyer;
        State state;
        address provider;
        uint40 claimDeadline;
        uint40 deadline;
        bytes32 inputsHash;
    }

    /// Listings by id (ids start at 1): `getListing`.
    mapping(uint256 => Listing) private listings;
    /// Input ranges by listing id: `getInputRanges`.
    mapping(uint256 => InputRange[]) private inputRanges;
    /// Jobs by id (ids start at 1): `getJob`.
    mapping(uint256 => Job) private jobs;
    /// @notice Slashed collateral waiting for a job's settling provider, by job id.
    mapping(uint256 => uint256) public bounty;
    /// @notice Burned money per token (address(0) for ETH): held by the escrow forever, no function moves it.
    mapping(address => uint256) public burned;
    /// @notice keccak256 of a settled job's output instances (abi.encodePacked), zero before settlement.
    mapping(uint256 => bytes32) public outputsHash;
    /// @notice What each account may withdraw, per token (address(0) for ETH).
    mapping(address => mapping(address => uint256)) public credit;
    /// @notice Number of listings and of jobs created so far.
    uint64 public listingCount;
    uint64 public jobCount;

    uint256 private _lock = 1;

    event ModelListed(
        uint256 indexed listingId,
        address indexed owner,
        address indexed verifier,
        bytes32 verifierCodehash,
        ListingParams params,
        InputRange[] inputRanges
    );
    event ListingActiveSet(uint256 indexed listingId, bool active);
    event JobCreated(
        uint256 indexed jobId,
        uint256 indexed listingId,
        address indexed buyer,
        bytes32 inputsHash,
        uint40 deadline,
        uint256[] inputs
    );
    event JobClaimed(uint256 indexed jobId, address indexed provider, uint40 claimDeadline, uint256 bindValue);
    event JobSettled(
        uint256 indexed jobId, address indexed provider, uint256 providerAmount, uint256 royalty, uint256[] outputs
    );
    event ClaimSlashed(
        uint256 indexed jobId, address indexed provider, uint256 collateral, uint256 burned, uint256 toBounty, bool abandoned
    );
    event BountyBurned(uint256 indexed jobId, uint256 amount);
    event JobReopened(uint256 indexed jobId);
    event JobRefunded(uint256 indexed jobId, address indexed buyer, uint256 amount);
    event JobCancelled(uint256 indexed jobId, address indexed buyer, uint256 amount);
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    error Reentrancy();
    error NotAContract(address account);
    error DigestOutOfField(uint256 digest);
    error InstanceCountOutOfRange(uint256 nInputs, uint256 nOutputs);
    error AmountOutOfRange(uint256 price, uint256 collateral);
    error RoyaltyOutOfRange(uint256 royaltyBps);
    error ClaimTimeoutOutOfRange(uint256 claimTimeout);
    error CollateralTooLow(uint256 price, uint256 collateral);
    error ClaimWindowOutOfRange(uint256 minClaimWindow, uint256 claimTimeout);
    error InputRangesInvalid(uint256 index);
    error ListingProofRejected();
    error InputOutOfRange(uint256 index, uint256 value, uint256 bits);
    error ClaimWindowTooShort(uint256 jobId, uint256 left, uint256 needed);
    error UnknownListing(uint256 listingId);
    error NotListingOwner(uint256 listingId, address caller);
    error ListingInactive(uint256 listingId);
    error WrongInstanceCount(uint256 expected, uint256 got);
    error InstanceOutOfField(uint256 index, uint256 value);
    error DeadlineOutOfRange(uint256 deadline);
    error WrongPayment(uint256 expected, uint256 got);
    error TokenTransferFailed(address token);
    error TokenAmountMismatch(address token, uint256 expected, uint256 received);
    error JobNotOpen(uint256 jobId, State state);
    error JobNotClaimed(uint256 jobId, State state);
    error JobExpired(uint256 jobId);
    error NotClaimant(uint256 jobId, address caller);
    error NotBuyer(uint256 jobId, address caller);
    error ClaimExpired(uint256 jobId, uint256 claimDeadline);
    error ClaimNotExpired(uint256 jobId, uint256 claimDeadline);
    error InputMismatch(uint256 jobId);
    error ProofRejected(uint256 jobId);
    error NothingToWithdraw(address account, address token);
    error EthTransferFailed(address to);

    modifier nonReentrant() {
        if (_lock != 1) revert Reentrancy();
        _lock = 2;
        _;
        _lock = 1;
    }

    // ------------------------------------------------------------------ listings

    /// @notice Lists a model. The caller becomes the listing's owner and receives the royalty of every job.
    /// `ranges` are the calibrated ranges of the input instances, in order (their counts sum to nInputs);
    /// `example` is a statement and proof the verifier must accept (inputs ‖ outputs ‖ settingsDigest ‖
    /// listingBindValue(msg.sender)): a verifier made for another digest or instance count refuses it.
    /// @return listingId The new listing's id.
    function list(ListingParams calldata p, InputRange[] calldata ranges, ListingProof calldata example)
        external
        nonReentrant
        returns (uint256 listingId)
    {
        if (p.verifier.code.length == 0) revert NotAContract(p.verifier);
        if (p.token != address(0) && p.token.code.length == 0) revert NotAContract(p.token);
        if (p.settingsDigest >= SCALAR_MODULUS) revert DigestOutOfField(p.settingsDigest);
        if (p.nInputs == 0 || p.nOutputs == 0 || p.nInputs > MAX_INSTANCES || p.nOutputs > MAX_INSTANCES) {
            revert InstanceCountOutOfRange(p.nInputs, p.nOutputs);
        }
        // uint128 parameters are at most MAX_AMOUNT by type; zero is refused.
        if (p.price == 0 || p.collateral == 0) revert AmountOutOfRange(p.price, p.collateral);
        // both below 2^128: the products fit in 256 bits
        if (uint256(p.collateral) * BPS < uint256(p.price) * MIN_COLLATERAL_BPS) {
            revert CollateralTooLow(p.price, p.collateral);
        }
        if (p.royaltyBps > BPS) revert RoyaltyOutOfRange(p.royaltyBps);
        if (p.claimTimeout < MIN_CLAIM_TIMEOUT || p.claimTimeout > MAX_CLAIM_TIMEOUT) {
            revert ClaimTimeoutOutOfRange(p.claimTimeout);
        }
        if (p.minClaimWindow < MIN_CLAIM_TIMEOUT || p.minClaimWindow > p.claimTimeout) {
            revert ClaimWindowOutOfRange(p.minClaimWindow, p.claimTimeout);
        }
        _checkRanges(ranges, p.nInputs);
        // the verifier accepts a statement with this digest and these counts
        if (example.inputs.length != p.nInputs) revert WrongInstanceCount(p.nInputs, example.inputs.length);
        if (example.outputs.length != p.nOutputs) revert WrongInstanceCount(p.nOutputs, example.outputs.length);
        _checkInputs(ranges, example.inputs);
        _checkInField(example.outputs, example.inputs.length);
        bytes memory callData = _verifierCall(
            p.settingsDigest, listingBindValue(msg.sender), example.inputs, example.outputs, example.proof
        );
        if (!_accepts(p.verifier, callData)) revert ListingProofRejected();

        uint64 id = listingCount + 1;
        listingCount = id;
        listingId = id;
        listings[id] = Listing({
            owner: msg.sender,
            royaltyBps: p.royaltyBps,
            claimTimeout: p.claimTimeout,
            minClaimWindow: p.minClaimWindow,
            active: true,
            verifier: p.verifier,
            nInputs: p.nInputs,
            nOutputs: p.nOutputs,
            token: p.token,
            price: p.price,
            collateral: p.collateral,
            settingsDigest: p.settingsDigest,
            verifierCodehash: p.verifier.codehash
        });
        InputRange[] storage stored = inputRanges[id];
        for (uint256 i = 0; i < ranges.length; ++i) {
            stored.push(ranges[i]);
        }
        emit ModelListed(id, msg.sender, p.verifier, p.verifier.codehash, p, ranges);
    }

    /// @notice Opens or closes a listing to new jobs (existing jobs are not affected). Owner only.
    function setListingActive(uint256 listingId, bool active) external nonReentrant {
        Listing storage l = listings[listingId];
        if (l.owner == address(0)) revert UnknownListing(listingId);
        if (l.owner != msg.sender) revert NotListingOwner(listingId, msg.sender);
        l.active = active;
        emit ListingActiveSet(listingId, active);
    }

    // ------------------------------------------------------------------ jobs

    /// @notice Creates a job for `inputs` (the input instances: stored integers, each within the listing's
    /// calibrated range, and for a hashed input tensor its commitment, below r) and escrows the price: `msg.value` for an ETH listing, else `transferFrom`
    /// of the listing's token (approve it first).
    /// @param deadline Unix time after which the job can no longer be claimed, at least the listing's
    /// minClaimWindow away; a failed claim with less than that left is refunded to the buyer instead of
    /// reopened.
    function createJob(uint256 listingId, uint256[] calldata inputs, uint40 deadline)
        external
        payable
        nonReentrant
        returns (uint256 jobId)
    {
        Listing storage l = listings[listingId];
        if (l.owner == address(0)) revert UnknownListing(listingId);
        if (!l.active) revert ListingInactive(listingId);
        if (inputs.length != l.nInputs) revert WrongInstanceCount(l.nInputs, inputs.length);
        _checkInputs(inputRanges[listingId], inputs);
        if (deadline < block.timestamp + l.minClaimWindow || deadline > block.timestamp + MAX_JOB_DURATION) {
            revert DeadlineOutOfRange(deadline);
        }
        bytes32 inputsHash = keccak256(abi.encodePacked(inputs));
        uint64 id = jobCount + 1;
        jobCount = id;
        jobId = id;
        jobs[id] = Job({
            listingId: uint64(listingId),
            buyer: msg.sender,
            state: State.Open,
            provider: address(0),
            claimDeadline: 0,
            deadline: deadline,
            inputsHash: inputsHash
        });
        emit JobCreated(id, listingId, msg.sender, inputsHash, deadline, inputs);
        _collect(l.token, l.price);
    }

    /// @notice Cancels an open (unclaimed) job and credits its price back to the buyer; its bounty (slashed
    /// collateral of earlier claims) is burned, never paid to the buyer. Buyer only.
    function cancel(uint256 jobId) external nonReentrant {
        Job storage j = jobs[jobId];
        if (j.state != State.Open) revert JobNotOpen(jobId, j.state);
        if (j.buyer != msg.sender) revert NotBuyer(jobId, msg.sender);
        j.state = State.Cancelled;
        Listing storage l = listings[j.listingId];
        credit[j.buyer][l.token] += l.price;
        emit JobCancelled(jobId, j.buyer, l.price);
        _burnBounty(jobId, l.token);
    }

    // ------------------------------------------------------------------ claims

    /// @notice Claims an open job, locking the listing's collateral (`msg.value` for ETH, else
    /// `transferFrom`). One claimant at a time: of two claims of one job, the first one mined wins and the
    /// second reverts with JobNotOpen. Refused when less than the listing's minClaimWindow is left before
    /// the job's deadline (ClaimWindowTooShort), so a claim always has at least that long to submit.
    function claim(uint256 jobId) external payable nonReentrant {
        Job storage j = jobs[jobId];
        if (j.state != State.Open) revert JobNotOpen(jobId, j.state);
        if (block.timestamp >= j.deadline) revert JobExpired(jobId);
        Listing storage l = listings[j.listingId];
        if (j.deadline - block.timestamp < l.minClaimWindow) {
            revert ClaimWindowTooShort(jobId, j.deadline - block.timestamp, l.minClaimWindow);
        }
        uint256 claimDeadline = block.timestamp + l.claimTimeout;
        if (claimDeadline > j.deadline) claimDeadline = j.deadline;
        j.state = State.Claimed;
        j.provider = msg.sender;
        j.claimDeadline = uint40(claimDeadline); // <= j.deadline, a uint40
        emit JobClaimed(jobId, msg.sender, uint40(claimDeadline), bindValue(jobId, msg.sender));
        _collect(l.token, l.collateral);
    }

    /// @notice Gives a claim up before its deadline: the collateral is slashed (half burned, half to the
    /// job's bounty) and the job reopens at once, or is refunded if less than minClaimWindow is left.
    /// Claimant only.
    function abandon(uint256 jobId) external nonReentrant {
        Job storage j = jobs[jobId];
        if (j.state != State.Claimed) revert JobNotClaimed(jobId, j.state);
        if (j.provider != msg.sender) revert NotClaimant(jobId, msg.sender);
        _endClaim(jobId, j, true);
    }

    /// @notice Ends a claim whose deadline has passed without a valid proof: the collateral is slashed (half
    /// burned, half to the job's bounty), and the job reopens if at least the listing's minClaimWindow is
    /// left before its deadline, else its price is refunded to the buyer and its bounty burned. Anyone may
    /// call it.
    function expireClaim(uint256 jobId) external nonReentrant {
        Job storage j = jobs[jobId];
        if (j.state != State.Claimed) revert JobNotClaimed(jobId, j.state);
        if (block.timestamp <= j.claimDeadline) revert ClaimNotExpired(jobId, j.claimDeadline);
        _endClaim(jobId, j, false);
    }

    /// @notice Submits the outputs of a claimed job and a proof. The escrow checks that `inputs` are the
    /// job's committed inputs, builds the instances inputs ‖ outputs ‖ listing's settings digest ‖
    /// bindValue(jobId, msg.sender) and calls the listing's verifier with them and the proof. On success the
    /// job settles: the provider is credited price - royalty + collateral + bounty, the owner the royalty, and the
    /// outputs are emitted in JobSettled. A refused proof reverts (ProofRejected) and changes nothing.
    function submit(uint256 jobId, uint256[] calldata inputs, uint256[] calldata outputs, bytes calldata proof)
        external
        nonReentrant
    {
        Job storage j = jobs[jobId];
        if (j.state != State.Claimed) revert JobNotClaimed(jobId, j.state);
        if (j.provider != msg.sender) revert NotClaimant(jobId, msg.sender);
        if (block.timestamp > j.claimDeadline) revert ClaimExpired(jobId, j.claimDeadline);
        Listing storage l = listings[j.listingId];
        if (inputs.length != l.nInputs) revert WrongInstanceCount(l.nInputs, inputs.length);
        if (keccak256(abi.encodePacked(inputs)) != j.inputsHash) revert InputMismatch(jobId);
        if (outputs.length != l.nOutputs) revert WrongInstanceCount(l.nOutputs, outputs.length);
        _checkInField(outputs, inputs.length);
        _verify(jobId, l, _verifierCall(l.settingsDigest, bindValue(jobId, msg.sender), inputs, outputs, proof));
        _settle(jobId, j, l, outputs);
    }

    // ------------------------------------------------------------------ payments

    /// @notice Sends the caller's whole credit in `token` (address(0): ETH) to `to`, and zeroes it first.
    function withdraw(address token, address payable to) external nonReentrant returns (uint256 amount) {
        amount = credit[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        credit[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, to, amount);
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to);
        } else {
            _callToken(token, abi.encodeCall(IERC20Minimal.transfer, (to, amount)));
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice A listing (all zero for an unknown id).
    function getListing(uint256 listingId) external view returns (Listing memory) {
        return listings[listingId];
    }

    /// @notice A listing's input ranges (empty for an unknown id).
    function getInputRanges(uint256 listingId) external view returns (InputRange[] memory) {
        return inputRanges[listingId];
    }

    /// @notice The binding value of a listing's example proof made by `owner`: bindValue(0, owner) (job ids
    /// start at 1, so no job shares it).
    function listingBindValue(address owner) public view returns (uint256) {
        return bindValue(0, owner);
    }

    /// @notice A job (state None for an unknown id).
    function getJob(uint256 jobId) external view returns (Job memory) {
        return jobs[jobId];
    }

    /// @notice The binding value of a proof for `jobId` made by `provider`: the proof's last public instance,
    /// uint256(keccak256(abi.encodePacked(block.chainid, address(this), jobId, provider))) mod r.
    function bindValue(uint256 jobId, address provider) public view returns (uint256) {
        return uint256(keccak256(abi.encodePacked(block.chainid, address(this), jobId, provider))) % SCALAR_MODULUS;
    }

    // ------------------------------------------------------------------ internal

    /// The verifier's calldata: inputs ‖ outputs ‖ settings digest ‖ binding value, as 32-byte words, then
    /// the proof bytes.
    function _verifierCall(
        uint256 digest,
        uint256 bind,
        uint256[] calldata inputs,
        uint256[] calldata outputs,
        bytes calldata proof
    ) private pure returns (bytes memory) {
        return abi.encodePacked(inputs, outputs, digest, bind, proof);
    }

    /// Calls the listing's verifier (STATICCALL: it cannot change state) and reverts with ProofRejected
    /// unless it succeeds and returns nothing (snark-verifier) or the word 1 (verifiers that return a bool).
    function _verify(uint256 jobId, Listing storage l, bytes memory callData) private view {
        address verifier = l.verifier;
        // A listing's verifier had code when listed; an account without code would accept every call (a
        // verifier destroyed later, e.g. created and self-destructed in one transaction), and other code at the
        // same address (a metamorphic contract) is not the verifier the buyer checked.
        if (verifier.code.length == 0 || verifier.codehash != l.verifierCodehash) revert ProofRejected(jobId);
        if (!_accepts(verifier, callData)) revert ProofRejected(jobId);
    }

    /// Whether `verifier` (STATICCALL) succeeds and returns nothing (snark-verifier) or the word 1.
    function _accepts(address verifier, bytes memory callData) private view returns (bool) {
        (bool ok, bytes memory ret) = verifier.staticcall(callData);
        return ok && (ret.length == 0 || (ret.length == 32 && uint256(bytes32(ret)) == 1));
    }

    /// Settles a verified job: state first, then the credits (pull payments), then the event.
    function _settle(uint256 jobId, Job storage j, Listing storage l, uint256[] calldata outputs) private {
        j.state = State.Settled;
        outputsHash[jobId] = keccak256(abi.encodePacked(outputs));
        uint256 price = l.price;
        uint256 royalty = (price * l.royaltyBps) / BPS; // <= price: royaltyBps <= BPS
        uint256 paidBounty = bounty[jobId];
        bounty[jobId] = 0;
        uint256 providerAmount = price - royalty + l.collateral + paidBounty;
        address token = l.token;
        credit[msg.sender][token] += providerAmount;
        if (royalty != 0) credit[l.owner][token] += royalty;
        emit JobSettled(jobId, msg.sender, providerAmount, royalty, outputs);
    }

    /// Slashes the claim as the market slashes a timeout (half burned, half to the job's bounty), then
    /// reopens the job if at least minClaimWindow is left before its deadline, else refunds the price to the
    /// buyer and burns the bounty.
    function _endClaim(uint256 jobId, Job storage j, bool abandoned) private {
        Listing storage l = listings[j.listingId];
        address provider = j.provider;
        address token = l.token;
        uint256 collateral = l.collateral;
        uint256 half = collateral / 2;
        j.provider = address(0);
        j.claimDeadline = 0;
        burned[token] += half;
        bounty[jobId] += collateral - half;
        emit ClaimSlashed(jobId, provider, collateral, half, collateral - half, abandoned);
        if (block.timestamp < j.deadline && j.deadline - block.timestamp >= l.minClaimWindow) {
            j.state = State.Open;
            emit JobReopened(jobId);
        } else {
            j.state = State.Refunded;
            address buyer = j.buyer;
            credit[buyer][token] += l.price;
            emit JobRefunded(jobId, buyer, l.price);
            _burnBounty(jobId, token);
        }
    }

    /// Burns a closed job's bounty.
    function _burnBounty(uint256 jobId, address token) private {
        uint256 amount = bounty[jobId];
        if (amount == 0) return;
        bounty[jobId] = 0;
        burned[token] += amount;
        emit BountyBurned(jobId, amount);
    }

    /// Takes `amount` from the caller: exactly `msg.value` for ETH, else the token's transferFrom, checked by
    /// the escrow's balance moving by exactly `amount`.
    function _collect(address token, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongPayment(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert WrongPayment(0, msg.value);
        uint256 before = IERC20Minimal(token).balanceOf(address(this));
        _callToken(token, abi.encodeCall(IERC20Minimal.transferFrom, (msg.sender, address(this), amount)));
        uint256 afterwards = IERC20Minimal(token).balanceOf(address(this));
        uint256 received = afterwards >= before ? afterwards - before : 0;
        if (received != amount) revert TokenAmountMismatch(token, amount, received);
    }

    /// Calls a token and accepts success with no return data or with `true`.
    function _callToken(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || !(ret.length == 0 || (ret.length == 32 && uint256(bytes32(ret)) == 1))) {
            revert TokenTransferFailed(token);
        }
    }

    /// Checks a listing's input ranges: 1..MAX_INPUT_RANGES ranges, each of 1 or more instances and 1 to
    /// MAX_INPUT_BITS bits or COMMITMENT_BITS, their counts summing to nInputs.
    function _checkRanges(InputRange[] calldata ranges, uint256 nInputs) private pure {
        if (ranges.length == 0 || ranges.length > MAX_INPUT_RANGES) revert InputRangesInvalid(ranges.length);
        uint256 total = 0;
        for (uint256 i = 0; i < ranges.length; ++i) {
            uint256 bits = ranges[i].bits;
            if (ranges[i].count == 0 || bits == 0 || (bits > MAX_INPUT_BITS && bits != COMMITMENT_BITS)) {
                revert InputRangesInvalid(i);
            }
            total += ranges[i].count;
        }
        if (total != nInputs) revert InputRangesInvalid(ranges.length);
    }

    /// Checks every input instance against its range: value < 2^bits (so also < r), or value < r for a
    /// commitment range (COMMITMENT_BITS: InstanceOutOfField). The ranges' counts sum to inputs.length
    /// (checked at list time and against nInputs by the callers).
    function _checkInputs(InputRange[] memory ranges, uint256[] calldata inputs) private pure {
        uint256 at = 0;
        for (uint256 r = 0; r < ranges.length; ++r) {
            uint256 bits = ranges[r].bits;
            uint256 end = at + ranges[r].count;
            if (bits == COMMITMENT_BITS) {
                for (; at < end; ++at) {
                    if (inputs[at] >= SCALAR_MODULUS) revert InstanceOutOfField(at, inputs[at]);
                }
            } else {
                for (; at < end; ++at) {
                    if (inputs[at] >> bits != 0) revert InputOutOfRange(at, inputs[at], bits);
                }
            }
        }
    }

    function _checkInField(uint256[] calldata values, uint256 offset) private pure {
        for (uint256 i = 0; i < values.length; ++i) {
            if (values[i] >= SCALAR_MODULUS) revert InstanceOutOfField(offset + i, values[i]);
        }
    }
}
