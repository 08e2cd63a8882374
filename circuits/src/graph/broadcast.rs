//! Numpy-style broadcasting of shapes and element indices.

use super::error::ShapeError;

/// The broadcast shape of two shapes, or why they do not broadcast.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, ShapeError> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| {
        if i + s.len() >= rank {
            s[i + s.len() - rank]
        } else {
            1
        }
    };
    (0..rank)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            (x, y) => Err(ShapeError::Broadcast {
                a: a.to_vec(),
                b: b.to_vec(),
                axis: i,
                a_dim: x,
                b_dim: y,
            }),
        })
        .collect()
}

/// For each element of `out` (row-major), the row-major index of the element of `src` it reads when `src`
/// is broadcast to `out`. `src` must broadcast to `out`.
pub fn broadcast_index_map(src: &[usize], out: &[usize]) -> Vec<u32> {
    let rank = out.len();
    let mut src_full = vec![1usize; rank - src.len()];
    src_full.extend_from_slice(src);
    let mut strides = vec![0usize; rank];
    let mut acc = 1;
    for i in (0..rank).rev() {
        strides[i] = if src_full[i] == 1 { 0 } else { acc };
        acc *= src_full[i];
    }
    let n: usize = out.iter().product();
    let mut idx = vec![0usize; rank];
    let mut map = Vec::with_capacity(n);
    for _ in 0..n {
        map.push(idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>() as u32);
        for ax in (0..rank).rev() {
            idx[ax] += 1;
            if idx[ax] < out[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_like_numpy() {
        assert_eq!(broadcast_shapes(&[2, 3], &[3]), Ok(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[2, 1], &[1, 3]), Ok(vec![2, 3]));
        assert_eq!(
            broadcast_shapes(&[2, 3], &[2]),
            Err(ShapeError::Broadcast {
                a: vec![2, 3],
                b: vec![2],
                axis: 1,
                a_dim: 3,
                b_dim: 2
            })
        );
        assert_eq!(broadcast_index_map(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(
            broadcast_index_map(&[2, 1], &[2, 3]),
            vec![0, 0, 0, 1, 1, 1]
        );
        assert_eq!(broadcast_index_map(&[], &[2]), vec![0, 0]);
    }
}
