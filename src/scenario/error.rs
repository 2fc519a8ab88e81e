//! Errors a user can cause with a scenario file. Each names the file, the line and
//! column, and the field path, and the CLI turns them into exit code 2.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; 0 when the error is not about a place in the file (it cannot be read).
    pub line: usize,
    pub column: usize,
    /// The field, like `job.operators[1].parallelism`; empty for the whole file.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A scenario built in code has no file: its errors start at the field.
        let mut place = self.file.clone();
        if self.line > 0 {
            place += &format!(":{}:{}", self.line, self.column);
        }
        if !self.path.is_empty() {
            if !place.is_empty() {
                place += ": ";
            }
            place += &self.path;
        }
        if place.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{place}: {}", self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Longest name for which a spelling is suggested.
const MAX_SUGGESTED_LEN: usize = 256;

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        // Edit distance costs the product of the lengths: skip names too long to be a
        // typo worth suggesting, and those whose length alone puts them out of reach.
        let allowed = (candidate.len().max(word.len()) / 3).max(2);
        if word.len() > MAX_SUGGESTED_LEN
            || candidate.len() > MAX_SUGGESTED_LEN
            || word.len().abs_diff(candidate.len()) > allowed
        {
            continue;
        }
        let distance = edit_distance(&word.to_ascii_lowercase(), &candidate.to_ascii_lowercase());
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.filter(|&(d, c)| d <= (c.len().max(word.len()) / 3).max(2))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(nearest("paralelism", ["name", "parallelism"]), Some("parallelism"));
        assert_eq!(
            nearest("execution.bufer-timeout", ["execution.buffer-timeout"]),
            Some("execution.buffer-timeout")
        );
        assert_eq!(nearest("zzzz", ["parallelism", "name"]), None);
    }

    #[test]
    fn display_names_file_line_column_and_field() {
        let e = ScenarioError {
            file: "s.yaml".into(),
            line: 3,
            column: 5,
            path: "job.operators[0].rate".into(),
            message: "must be positive".into(),
        };
        assert_eq!(e.to_string(), "s.yaml:3:5: job.operators[0].rate: must be positive");
    }
}
