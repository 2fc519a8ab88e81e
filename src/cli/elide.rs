//! Long lists in the text summary: a run in a restart loop has thousands of
//! recoveries and checkpoints, and a terminal shows only the last screenful. The
//! first and the last rows say how it began and how it ended; `--json` and the
//! report keep every row.

/// Rows shown at each end of a list longer than `2 * EDGE + 1`.
const EDGE: usize = 10;

use crate::report::elide::{Shown, elided};

/// Calls `row` for the first and last [`EDGE`] items of `items`, and `gap` once in
/// between with the number of items left out (when any are).
pub fn for_each_elided<T>(items: &[T], mut row: impl FnMut(&T), gap: impl FnOnce(usize)) {
    let mut gap = Some(gap);
    for line in elided(items, EDGE) {
        match line {
            Shown::Row(item) => row(item),
            Shown::Gap(n) => {
                if let Some(gap) = gap.take() {
                    gap(n)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(n: usize) -> (Vec<usize>, Option<usize>) {
        let items: Vec<usize> = (0..n).collect();
        let mut rows = Vec::new();
        let mut left_out = None;
        for_each_elided(&items, |i| rows.push(*i), |n| left_out = Some(n));
        (rows, left_out)
    }

    #[test]
    fn short_lists_are_shown_whole() {
        assert_eq!(shown(21), ((0..21).collect(), None));
    }

    #[test]
    fn long_lists_keep_both_ends_and_count_the_rest() {
        let (rows, left_out) = shown(100);
        assert_eq!(rows, (0..10).chain(90..100).collect::<Vec<_>>());
        assert_eq!(left_out, Some(80));
    }
}
