//! The Merkle tree of RFC 6962 (section 2.1; RFC 9162 section 2.1):
//! hashing, the shape of inclusion and consistency proofs, and their
//! verification — pure functions, usable offline by anyone who holds a
//! checkpoint.
//!
//! A tree is stored as its *perfect* subtrees: node `(level, index)` is the
//! hash of leaves `[index · 2^level, (index + 1) · 2^level)`. Every proof
//! element is the hash of a subtree `[start, end)`, which is either perfect
//! or the right edge of the tree and then folds from a few perfect ones
//! ([`perfect_cover`]).

use std::ops::Range;

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The largest tree this crate stores or proves (2^48 leaves).
pub const MAX_SIZE: u64 = 1 << 48;

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The first size is larger than the second.
    #[error("tree size {from} is larger than {to}")]
    SizesReversed {
        /// The older size.
        from: u64,
        /// The newer size.
        to: u64,
    },
    /// Nothing can be proven consistent with the empty tree.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyTree,
    /// A hash has the wrong length.
    #[error("a hash is {0} bytes, not 32")]
    HashLength(usize),
    /// The proof has the wrong number of hashes.
    #[error("the proof has {got} hashes; this shape needs {want}")]
    WrongLength {
        /// Hashes given.
        got: usize,
        /// Hashes the proof's shape needs.
        want: usize,
    },
    /// The computed root is not the expected one.
    #[error("the proof leads to a different root")]
    RootMismatch,
}

/// `(inner, border)`: how many proof hashes for leaf `index` of a tree of
/// `size` lie below the point where the leaf's path meets the right edge,
/// and how many on that edge.
fn decompose(index: u64, size: u64) -> (usize, usize) {
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(mut seed: Hash, proof: &[&[u8]], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        seed = if (index >> i) & 1 == 0 {
            node_hash(&seed, h)
        } else {
            node_hash(h, &seed)
        };
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[&[u8]], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[&[u8]]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

fn matches(computed: &[u8], expected: &[u8]) -> Result<(), ProofError> {
    if computed.len() == expected.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(computed, expected))
    {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

fn hash32(h: &[u8]) -> Result<Hash, ProofError> {
    h.try_into().map_err(|_| ProofError::HashLength(h.len()))
}

/// Checks that `leaf` (a leaf hash) is entry `index` of the tree of `size`
/// whose root is `root`.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let leaf = hash32(leaf)?;
    let proof: Vec<&[u8]> = proof.iter().map(AsRef::as_ref).collect();
    if let Some(bad) = proof.iter().find(|h| h.len() != 32) {
        return Err(ProofError::HashLength(bad.len()));
    }
    let (inner, border) = decompose(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: inner + border,
        });
    }
    let computed = chain_inner(leaf, &proof[..inner], index);
    let computed = chain_border_right(computed, &proof[inner..]);
    matches(&computed, root)
}

/// Checks that the tree of `size2` with root `root2` extends the tree of
/// `size1` with root `root1`.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    let proof: Vec<&[u8]> = proof.iter().map(AsRef::as_ref).collect();
    if size2 < size1 {
        return Err(ProofError::SizesReversed {
            from: size1,
            to: size2,
        });
    }
    // Every tree extends the empty one: a proof from size 0 proves nothing
    // and is refused rather than accepted vacuously.
    if size1 == 0 {
        return Err(ProofError::EmptyTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return matches(root1, root2);
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength { got: 0, want: 1 });
    }
    if let Some(bad) = proof.iter().find(|h| h.len() != 32) {
        return Err(ProofError::HashLength(bad.len()));
    }
    let (inner, border) = decompose(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    let inner = inner - shift;
    // When the old tree is a perfect subtree its root starts the chain;
    // otherwise the proof's first hash does.
    let (seed, rest) = if size1 == 1 << shift {
        (hash32(root1)?, &proof[..])
    } else {
        (hash32(proof[0])?, &proof[1..])
    };
    let want = inner + border + usize::from(size1 != 1 << shift);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let mask = (size1 - 1) >> shift;
    let old = chain_inner_right(seed, &rest[..inner], mask);
    let old = chain_border_right(old, &rest[inner..]);
    matches(&old, root1)?;
    let new = chain_inner(seed, &rest[..inner], mask);
    let new = chain_border_right(new, &rest[inner..]);
    matches(&new, root2)
}

/// The largest power of two below `n` (`n ≥ 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The subtrees whose hashes make the inclusion proof of leaf `index` in
/// a tree of `size` (RFC 6962 `PATH`), in proof order.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    if index >= size {
        return out;
    }
    fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<Range<u64>>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            path(m, lo, lo + k, out);
            out.push(lo + k..hi);
        } else {
            path(m - k, lo + k, hi, out);
            out.push(lo..lo + k);
        }
    }
    path(index, 0, size, &mut out);
    out
}

/// The subtrees whose hashes make the consistency proof from `size1` to
/// `size2` (RFC 6962 `PROOF`), in proof order; empty when there is nothing
/// to prove (`size1` is 0 or not below `size2`).
pub fn consistency_ranges(size1: u64, size2: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    if size1 == 0 || size1 >= size2 {
        return out;
    }
    fn sub(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Range<u64>>) {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(lo..hi);
            }
            return;
        }
        let k = split(n);
        if m <= k {
            sub(m, lo, lo + k, whole, out);
            out.push(lo + k..hi);
        } else {
            sub(m - k, lo + k, hi, false, out);
            out.push(lo..lo + k);
        }
    }
    sub(size1, 0, size2, true, &mut out);
    out
}

/// The perfect subtrees `(level, index)` that make up `[start, end)`, left
/// to right; the range's hash folds them from the right ([`fold`]).
pub fn perfect_cover(range: Range<u64>) -> Vec<(u32, u64)> {
    let (mut at, end) = (range.start, range.end);
    let mut out = Vec::new();
    while at < end {
        let mut level = if at == 0 { 63 } else { at.trailing_zeros() };
        while level > 0 && at + (1u64 << level) > end {
            level -= 1;
        }
        out.push((level, at >> level));
        at += 1 << level;
    }
    out
}

/// The hash of a range from its perfect subtrees' hashes, left to right.
pub fn fold(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// The perfect subtrees of a tree of `size` (its "compact range"), left to
/// right: one per set bit of `size`.
pub fn compact_range(size: u64) -> Vec<(u32, u64)> {
    perfect_cover(0..size)
}

/// Builds a tree incrementally from its compact range: the state an append
/// needs, and the perfect nodes each append completes.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)` of the compact range, left to right.
    stack: Vec<(u32, Hash)>,
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree of `size` whose compact range ([`compact_range`]) has
    /// `hashes`; `None` when the count does not match.
    pub fn from_compact(size: u64, hashes: &[Hash]) -> Option<Self> {
        let shape = compact_range(size);
        if shape.len() != hashes.len() {
            return None;
        }
        Some(Frontier {
            size,
            stack: shape
                .iter()
                .map(|(l, _)| *l)
                .zip(hashes.iter().copied())
                .collect(),
        })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; calls `node` for every perfect node completed,
    /// the leaf first: `(level, index, hash)`.
    pub fn push(&mut self, leaf: Hash, mut node: impl FnMut(u32, u64, Hash)) {
        let index = self.size;
        self.size += 1;
        node(0, index, leaf);
        let mut current = (0u32, leaf);
        while let Some(&(level, left)) = self.stack.last() {
            if level != current.0 {
                break;
            }
            self.stack.pop();
            let up = level + 1;
            let hash = node_hash(&left, &current.1);
            node(up, (self.size >> up) - 1, hash);
            current = (up, hash);
        }
        self.stack.push(current);
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.stack.iter().map(|(_, h)| *h).collect();
        fold(&hashes).unwrap_or_else(empty_root)
    }
}

/// The root of a list of leaf hashes, by the RFC's recursive definition
/// (for tests and small trees).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn range_hash(all: &[Hash], r: Range<u64>) -> Hash {
        root_of(&all[r.start as usize..r.end as usize])
    }

    #[test]
    fn frontier_matches_the_recursive_root() {
        let all = leaves(70);
        let mut f = Frontier::new();
        for (i, leaf) in all.iter().enumerate() {
            f.push(*leaf, |_, _, _| {});
            assert_eq!(f.root(), root_of(&all[..=i]));
        }
    }

    #[test]
    fn generated_proofs_verify_and_covers_fold() {
        let all = leaves(37);
        for size in 1..=37u64 {
            let root = root_of(&all[..size as usize]);
            for index in 0..size {
                let proof: Vec<Hash> = inclusion_ranges(index, size)
                    .into_iter()
                    .map(|r| range_hash(&all, r))
                    .collect();
                verify_inclusion(index, size, &all[index as usize], &proof, &root).unwrap();
            }
            for from in 1..size {
                let old = root_of(&all[..from as usize]);
                let proof: Vec<Hash> = consistency_ranges(from, size)
                    .into_iter()
                    .map(|r| {
                        let parts: Vec<Hash> = perfect_cover(r.clone())
                            .into_iter()
                            .map(|(l, i)| range_hash(&all, (i << l)..((i + 1) << l)))
                            .collect();
                        let folded = fold(&parts).unwrap();
                        assert_eq!(folded, range_hash(&all, r));
                        folded
                    })
                    .collect();
                verify_consistency(from, size, &proof, &old, &root).unwrap();
                let mut bad = proof.clone();
                bad[0][0] ^= 1;
                assert!(verify_consistency(from, size, &bad, &old, &root).is_err());
            }
        }
    }
}
