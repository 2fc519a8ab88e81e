//! Long lists shown by their ends: a run in a restart loop, or with a short
//! checkpoint interval, has thousands of checkpoints and recoveries; the first and
//! the last rows say how it began and how it ended, and the full list is in the
//! report's CSV and JSON files.

/// One line of an elided list: an item, or how many items were left out there.
pub enum Shown<'a, T> {
    Row(&'a T),
    Gap(usize),
}

/// The first and last `edge` items of `items` with one [`Shown::Gap`] between them
/// (a list of at most `2 * edge + 1` items is shown whole).
pub fn elided<T>(items: &[T], edge: usize) -> Vec<Shown<'_, T>> {
    if items.len() <= 2 * edge + 1 {
        return items.iter().map(Shown::Row).collect();
    }
    let mut shown: Vec<Shown<'_, T>> = items[..edge].iter().map(Shown::Row).collect();
    shown.push(Shown::Gap(items.len() - 2 * edge));
    shown.extend(items[items.len() - edge..].iter().map(Shown::Row));
    shown
}
