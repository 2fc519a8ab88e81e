//! Flink's key groups: which subtask of a keyed operator owns a key.
//!
//! Mirrors `KeyGroupRangeAssignment`: the key's Java hash code (a `long` hashes as
//! `(int)(v ^ (v >>> 32))`) goes through Flink's murmur hash, modulo the max
//! parallelism, and key group `g` belongs to subtask `g * parallelism / max_parallelism`.
//! So a scenario shows the same skew across subtasks that the real job would.

/// The key group of `key` among `max_parallelism` groups.
#[inline]
pub fn key_group(key: u64, max_parallelism: u32) -> u32 {
    let java_hash = (key ^ (key >> 32)) as u32 as i32;
    let hash = murmur_hash(java_hash) as u32;
    // Flink's default max parallelism is a power of two: a mask, not a division.
    if max_parallelism.is_power_of_two() {
        hash & (max_parallelism - 1)
    } else {
        hash % max_parallelism
    }
}

/// The subtask of an operator with `parallelism` subtasks that owns `key_group`.
#[inline]
pub fn operator_index(key_group: u32, max_parallelism: u32, parallelism: u32) -> u32 {
    let scaled = u64::from(key_group) * u64::from(parallelism);
    if max_parallelism.is_power_of_two() {
        (scaled >> max_parallelism.trailing_zeros()) as u32
    } else {
        (scaled / u64::from(max_parallelism)) as u32
    }
}

/// The subtask that owns `key`.
#[inline]
pub fn subtask_for_key(key: u64, max_parallelism: u32, parallelism: u32) -> u32 {
    operator_index(key_group(key, max_parallelism), max_parallelism, parallelism)
}

/// Flink's `MathUtils.murmurHash(int)`: non-negative.
fn murmur_hash(code: i32) -> i32 {
    let mut code = code.wrapping_mul(0xcc9e_2d51_u32 as i32);
    code = code.rotate_left(15);
    code = code.wrapping_mul(0x1b87_3593);
    code = code.rotate_left(13);
    code = code.wrapping_mul(5).wrapping_add(0xe654_6b64_u32 as i32);
    code ^= 4;
    code = bit_mix(code);
    if code >= 0 {
        code
    } else if code != i32::MIN {
        -code
    } else {
        0
    }
}

fn bit_mix(mut value: i32) -> i32 {
    value ^= ((value as u32) >> 16) as i32;
    value = value.wrapping_mul(0x85eb_ca6b_u32 as i32);
    value ^= ((value as u32) >> 13) as i32;
    value = value.wrapping_mul(0xc2b2_ae35_u32 as i32);
    value ^= ((value as u32) >> 16) as i32;
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_lands_in_range() {
        for key in 0..10_000u64 {
            let group = key_group(key, 128);
            assert!(group < 128);
            assert!(operator_index(group, 128, 3) < 3);
        }
    }

    #[test]
    fn key_groups_spread_keys_roughly_evenly() {
        let mut per_subtask = [0u32; 4];
        for key in 0..40_000u64 {
            per_subtask[subtask_for_key(key, 128, 4) as usize] += 1;
        }
        for count in per_subtask {
            assert!((8_000..12_000).contains(&count), "{per_subtask:?}");
        }
    }

    #[test]
    fn power_of_two_fast_path_equals_the_division() {
        // Flink's formula, with its division: (murmur % maxParallelism) * p / maxParallelism.
        let mut by_formula = Vec::new();
        for key in 0..8u64 {
            let hash = murmur_hash((key ^ (key >> 32)) as u32 as i32);
            let group = hash % 128;
            by_formula.push((group as u64 * 4 / 128) as u32);
        }
        let ours: Vec<u32> = (0..8).map(|k| subtask_for_key(k, 128, 4)).collect();
        assert_eq!(ours, by_formula);
        // A max parallelism that is not a power of two takes the division path.
        assert!((0..1000).all(|k| subtask_for_key(k, 100, 7) < 7));
    }

    #[test]
    fn contiguous_key_group_ranges_per_subtask() {
        // Key group ranges are contiguous: subtask index never decreases with the group.
        let owners: Vec<u32> = (0..128).map(|g| operator_index(g, 128, 5)).collect();
        assert!(owners.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(owners[0], 0);
        assert_eq!(owners[127], 4);
    }
}
