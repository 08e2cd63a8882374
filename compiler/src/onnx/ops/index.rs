//! Index arithmetic over row-major shapes, shared by the data-movement, convolution and pooling builders.

use crate::error::LowerError;

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Every multi-index of a shape, in row-major order.
pub fn indices(shape: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let n: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    (0..n).map(move |i| {
        if i > 0 {
            for ax in (0..shape.len()).rev() {
                idx[ax] += 1;
                if idx[ax] < shape[ax] {
                    break;
                }
                idx[ax] = 0;
            }
        }
        idx.clone()
    })
}

/// The flat index of a multi-index.
pub fn ravel(idx: &[usize], strides: &[usize]) -> usize {
    idx.iter().zip(strides).map(|(i, s)| i * s).sum()
}

/// An axis attribute (possibly negative) as an index into a rank.
pub fn axis(a: i64, rank: usize) -> Result<usize, LowerError> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    if (0..r).contains(&v) {
        Ok(v as usize)
    } else {
        Err(LowerError::Axis { axis: a, rank })
    }
}

/// Spatial window geometry shared by Conv, ConvTranspose and pooling.
#[derive(Debug, Clone)]
pub struct Window {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// Padding at the beginning of each spatial axis.
    pub pad_begin: Vec<usize>,
    pub pad_end: Vec<usize>,
}

impl Window {
    /// Output size of each spatial axis (`ceil` rounds windows that run past the end up).
    pub fn output(&self, input: &[usize], ceil: bool) -> Result<Vec<usize>, LowerError> {
        input
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let span = self.dilations[i] * (self.kernel[i] - 1) + 1;
                let padded = d + self.pad_begin[i] + self.pad_end[i];
                if padded < span {
                    return Err(LowerError::KernelTooLarge {
                        axis: i,
                        span,
                        padded,
                    });
                }
                let s = self.strides[i];
                let mut o = (padded - span) / s + 1;
                if ceil && !(padded - span).is_multiple_of(s) {
                    o += 1;
                    // the last window must start inside the input or its begin padding
                    if (o - 1) * s >= d + self.pad_begin[i] {
                        o -= 1;
                    }
                }
                Ok(o)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_and_windows_report_what_does_not_fit() {
        assert_eq!(axis(-1, 3), Ok(2));
        assert_eq!(axis(3, 3), Err(LowerError::Axis { axis: 3, rank: 3 }));
        let win = Window {
            kernel: vec![5],
            strides: vec![1],
            dilations: vec![1],
            pad_begin: vec![0],
            pad_end: vec![1],
        };
        assert_eq!(win.output(&[5], false), Ok(vec![2]));
        assert_eq!(
            win.output(&[3], false),
            Err(LowerError::KernelTooLarge {
                axis: 0,
                span: 5,
                padded: 4
            })
        );
    }
}
