//! Who sees a model's input and output values: each tensor is `public` (its stored values are public
//! instances), `hashed` (one public instance, the Poseidon commitment to its stored values under a salt the
//! prover draws: [`crate::poseidon::commitment`]) or `private` (no instance: the proof says that *some*
//! values give the public ones).
//!
//! The statement's public instances, in order ([`InstanceLayout`]): for each input, then each output,
//! its stored values (public), its commitment (hashed) or nothing (private); then the settings digest and the
//! binding value. The circuit's plan numbers instances as if every tensor were public (its *virtual*
//! indices: input elements, output elements, digest, binding); [`InstanceLayout::slot`] maps a virtual index
//! to where its value goes.

use crate::field::fr_from_i128;
use crate::poseidon::{commit, PoseidonError};
use crate::Fr;
use serde::{Deserialize, Serialize};

/// Who sees one tensor's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every stored value is a public instance.
    #[default]
    Public,
    /// One public instance: the Poseidon commitment to the stored values under a secret salt. The prover
    /// writes the opening (values and salt) for whoever may see them.
    Hashed,
    /// No instance: the values stay with the prover.
    Private,
}

impl Visibility {
    /// Whether this is [`Visibility::Public`] (left out of `settings.json`, so public tensors' settings and
    /// digests are those of builds without visibility).
    pub fn is_public(&self) -> bool {
        *self == Visibility::Public
    }

    /// The name used on the command line and in `settings.json`.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Hashed => "hashed",
            Visibility::Private => "private",
        }
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Visibility::Public),
            "hashed" => Ok(Visibility::Hashed),
            "private" => Ok(Visibility::Private),
            other => Err(format!(
                "unknown visibility '{other}' (expected public, hashed or private)"
            )),
        }
    }
}

/// What an input tensor is: data the caller gives at each proof, or a weight tensor of the model given as
/// an input so that one circuit serves every weight set of an architecture ([`WeightsMode::Committed`]).
/// Weight inputs are always hashed and come after every data input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum TensorRole {
    /// An input the caller gives at each proof (and every output).
    #[default]
    Data,
    /// A committed weight tensor: private to the prover, bound by its public Poseidon commitment.
    Weights,
}

impl TensorRole {
    /// Whether this is [`TensorRole::Data`] (left out of `settings.json`, so models without committed weights
    /// keep their settings, digests and verifying keys).
    pub fn is_data(&self) -> bool {
        *self == TensorRole::Data
    }
}

/// Where a model's weights live: in fixed columns of the circuit (so in the verifying key), or in advice
/// cells bound by public Poseidon commitments (one circuit and one verifying key per architecture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum WeightsMode {
    /// Weights are constants of the circuit (the default; the verifying key commits to them).
    #[default]
    Fixed,
    /// The weights and biases of MatMul and Gemm are inputs of the circuit with role
    /// [`TensorRole::Weights`], each hashed: its instance is its commitment, its values stay private.
    Committed,
}

impl WeightsMode {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WeightsMode::Fixed => "fixed",
            WeightsMode::Committed => "committed",
        }
    }
}

impl std::fmt::Display for WeightsMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for WeightsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fixed" => Ok(WeightsMode::Fixed),
            "committed" => Ok(WeightsMode::Committed),
            other => Err(format!(
                "unknown weights mode '{other}' (expected fixed or committed)"
            )),
        }
    }
}

/// One input or output tensor's share of the instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorInstances {
    /// Its element count.
    pub numel: usize,
    /// Who sees it.
    pub visibility: Visibility,
}

/// Where the value of one virtual instance goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceSlot {
    /// A public instance row.
    Row(usize),
    /// Element `element` of the values under commitment `commitment` (counted over hashed tensors).
    Committed {
        /// Which commitment (0 for the first hashed tensor).
        commitment: usize,
        /// The element within the tensor.
        element: usize,
    },
    /// A private value: no instance.
    Hidden,
}

/// The instances of a statement: inputs, then outputs, each by its visibility, then the settings digest and
/// the binding value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceLayout {
    /// Inputs, then outputs.
    pub tensors: Vec<TensorInstances>,
    /// How many of `tensors` are inputs.
    pub inputs: usize,
}

impl InstanceLayout {
    /// Every tensor public: `inputs` then `outputs` element counts.
    pub fn public(inputs: &[usize], outputs: &[usize]) -> Self {
        Self {
            tensors: inputs
                .iter()
                .chain(outputs)
                .map(|&numel| TensorInstances {
                    numel,
                    visibility: Visibility::Public,
                })
                .collect(),
            inputs: inputs.len(),
        }
    }

    /// Elements of every tensor (the virtual index of the digest).
    pub fn elements(&self) -> usize {
        self.tensors.iter().map(|t| t.numel).sum()
    }

    /// Elements of the inputs (the virtual index of the first output element).
    pub fn input_elements(&self) -> usize {
        self.tensors[..self.inputs].iter().map(|t| t.numel).sum()
    }

    /// Public instances: each tensor's share, the digest and the binding value.
    pub fn num_instances(&self) -> usize {
        self.tensors
            .iter()
            .map(|t| match t.visibility {
                Visibility::Public => t.numel,
                Visibility::Hashed => 1,
                Visibility::Private => 0,
            })
            .sum::<usize>()
            + 2
    }

    /// The hashed tensors (indices into `tensors`), in commitment order.
    pub fn hashed(&self) -> Vec<usize> {
        (0..self.tensors.len())
            .filter(|&t| self.tensors[t].visibility == Visibility::Hashed)
            .collect()
    }

    /// The instance row of each tensor's first value (public) or commitment (hashed); `None` for private.
    fn first_rows(&self) -> Vec<Option<usize>> {
        let mut row = 0;
        self.tensors
            .iter()
            .map(|t| {
                let at = row;
                row += match t.visibility {
                    Visibility::Public => t.numel,
                    Visibility::Hashed => 1,
                    Visibility::Private => 0,
                };
                (t.visibility != Visibility::Private).then_some(at)
            })
            .collect()
    }

    /// The instance row of commitment `c` (the `c`-th hashed tensor).
    pub fn commitment_row(&self, c: usize) -> Option<usize> {
        let tensor = *self.hashed().get(c)?;
        self.first_rows()[tensor]
    }

    /// Where virtual instance `virtual_index` goes: tensor elements by their tensor's visibility, then the
    /// digest and the binding value (the last two rows).
    pub fn slot(&self, virtual_index: usize) -> InstanceSlot {
        let rows = self.first_rows();
        let mut start = 0;
        let mut commitment = 0;
        for (t, tensor) in self.tensors.iter().enumerate() {
            if virtual_index < start + tensor.numel {
                let element = virtual_index - start;
                return match (tensor.visibility, rows[t]) {
                    (Visibility::Public, Some(row)) => InstanceSlot::Row(row + element),
                    (Visibility::Hashed, _) => InstanceSlot::Committed {
                        commitment,
                        element,
                    },
                    _ => InstanceSlot::Hidden,
                };
            }
            start += tensor.numel;
            commitment += (tensor.visibility == Visibility::Hashed) as usize;
        }
        // the digest and the binding value
        InstanceSlot::Row(self.num_instances() - 2 + (virtual_index - start).min(1))
    }

    /// The public instances for stored tensor values (`values`: every element of every tensor, inputs then
    /// outputs, as the plan numbers them), one salt per hashed tensor, the settings digest and the binding
    /// value.
    pub fn field_instances(
        &self,
        values: &[i128],
        salts: &[Fr],
        digest: Fr,
        bind: Fr,
    ) -> Result<Vec<Fr>, PoseidonError> {
        let mut out = Vec::with_capacity(self.num_instances());
        let (mut start, mut salt) = (0, salts.iter());
        for t in &self.tensors {
            let end = (start + t.numel).min(values.len());
            let own = &values[start.min(end)..end];
            match t.visibility {
                Visibility::Public => out.extend(own.iter().map(|v| fr_from_i128(*v))),
                Visibility::Hashed => {
                    out.push(commit(own, salt.next().copied().unwrap_or(Fr::zero()))?)
                }
                Visibility::Private => {}
            }
            start += t.numel;
        }
        out.push(digest);
        out.push(bind);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(v: [Visibility; 3]) -> InstanceLayout {
        InstanceLayout {
            tensors: [2, 3, 2]
                .iter()
                .zip(v)
                .map(|(&numel, visibility)| TensorInstances { numel, visibility })
                .collect(),
            inputs: 2,
        }
    }

    #[test]
    fn public_tensors_keep_their_rows_and_others_fold_into_one_or_none() {
        use Visibility::*;
        let all = layout([Public; 3]);
        assert_eq!(all.num_instances(), 9);
        assert_eq!(all.slot(4), InstanceSlot::Row(4));
        assert_eq!(all.slot(7), InstanceSlot::Row(7));
        assert_eq!(all.slot(8), InstanceSlot::Row(8));
        let mixed = layout([Hashed, Private, Public]);
        assert_eq!(mixed.num_instances(), 1 + 2 + 2);
        assert_eq!(
            mixed.slot(1),
            InstanceSlot::Committed {
                commitment: 0,
                element: 1
            }
        );
        assert_eq!(mixed.slot(3), InstanceSlot::Hidden);
        assert_eq!(mixed.slot(5), InstanceSlot::Row(1));
        assert_eq!(mixed.slot(7), InstanceSlot::Row(3));
        assert_eq!(mixed.slot(8), InstanceSlot::Row(4));
        assert_eq!(mixed.commitment_row(0), Some(0));
        let salts = [Fr::from(9)];
        let inst = mixed
            .field_instances(&[1, 2, 3, 4, 5, 6, 7], &salts, Fr::from(11), Fr::from(12))
            .expect("in range");
        let c = commit(&[1, 2], Fr::from(9)).expect("in range");
        assert_eq!(
            inst,
            vec![c, Fr::from(6), Fr::from(7), Fr::from(11), Fr::from(12)]
        );
    }

    #[test]
    fn visibilities_parse_by_name() {
        for v in [Visibility::Public, Visibility::Hashed, Visibility::Private] {
            assert_eq!(v.name().parse::<Visibility>(), Ok(v));
        }
        assert!("secret".parse::<Visibility>().is_err());
    }
}
