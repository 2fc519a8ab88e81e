//! Seed ranges, shards, and the JSON-lines files shards write and `--merge` joins.
//!
//! A file starts with a [`Header`] line saying which scenario, seed range and shard
//! it holds, then one [`SeedResult`] line per seed in seed order. Merging checks that
//! the files agree on everything that decides a result and together hold every seed
//! of the range exactly once, so a lost or duplicated batch job is an error rather
//! than a silently smaller exploration.

use super::SeedResult;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// Parses `--seeds`: a count `N` (seeds `0..N`) or a half-open range `A..B`.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let text = text.trim();
    let number = |s: &str| -> Result<u64, String> {
        s.trim()
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("`{s}` is not a whole number"))
    };
    let range = match text.split_once("..") {
        Some((a, b)) => {
            if b.starts_with('=') {
                return Err(format!(
                    "`{text}`: write a half-open range A..B (B not included), not A..=B"
                ));
            }
            number(a)?..number(b)?
        }
        None => 0..number(text)?,
    };
    if range.start >= range.end {
        return Err(format!(
            "`{text}` holds no seed: give a count like 1000 or a range A..B with A < B"
        ));
    }
    Ok(range)
}

/// `--shard I/N`: this job runs the seeds whose index in the range is `I` modulo `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole range, as an unsharded run or a merge covers it.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The seeds of `range` this shard runs. Interleaving rather than cutting the
    /// range into blocks spreads slow seeds (long recoveries) evenly over shards.
    pub fn seeds(&self, range: &Range<u64>) -> Vec<u64> {
        self.iter(range).collect()
    }

    /// The same seeds, lazily.
    pub fn iter(&self, range: &Range<u64>) -> impl Iterator<Item = u64> + use<> {
        let first = range.start.saturating_add(self.index);
        (first..range.end).step_by(self.count as usize)
    }

    /// How many seeds of `range` this shard runs, without listing them.
    pub fn len(&self, range: &Range<u64>) -> u64 {
        let span = range.end.saturating_sub(range.start);
        span.saturating_sub(self.index).div_ceil(self.count)
    }

    pub fn is_empty(&self, range: &Range<u64>) -> bool {
        self.len(range) == 0
    }

    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.jsonl", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Parses `--shard I/N` with `0 <= I < N`.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let usage = || format!("`{text}`: expected I/N with 0 <= I < N, like 0/4 (shards count from 0)");
    let (i, n) = text.trim().split_once('/').ok_or_else(usage)?;
    let index: u64 = i.trim().parse().map_err(|_| usage())?;
    let count: u64 = n.trim().parse().map_err(|_| usage())?;
    if count == 0 || index >= count {
        return Err(usage());
    }
    Ok(Shard { index, count })
}

/// The first line of a results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Marks the file as explorer output, and its format version.
    pub ckptsim_explore: u32,
    /// The ckptsim version that ran it: another version may simulate differently.
    pub version: String,
    pub scenario: String,
    /// A hash of the validated scenario: two files of the same name but different
    /// content must not be merged.
    pub scenario_digest: String,
    /// The scenario file's text, so that a merge can write the replay files of
    /// violations found on other machines.
    pub scenario_yaml: String,
    pub seeds: Range<u64>,
    pub shard: Shard,
    /// Shrinking changes what a violation's line holds, so it must match too.
    pub max_shrink_runs: usize,
}

pub const FORMAT: u32 = 1;

/// A results file's text: the header line, then one line per result.
pub fn to_jsonl(header: &Header, results: &[SeedResult]) -> String {
    let mut text = serde_json::to_string(header).expect("a header serialises");
    text.push('\n');
    for r in results {
        text.push_str(&serde_json::to_string(r).expect("a result serialises"));
        text.push('\n');
    }
    text
}

/// Reads a results file, checking that it holds exactly its shard's seeds.
pub fn read_jsonl(path: &Path) -> Result<(Header, Vec<SeedResult>), String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or_else(|| format!("{name}: empty file"))?;
    let header: Header = serde_json::from_str(first)
        .map_err(|e| format!("{name}:1: not an explorer results file (no header line: {e})"))?;
    if header.ckptsim_explore != FORMAT {
        return Err(format!(
            "{name}: results format {} (this ckptsim reads format {FORMAT})",
            header.ckptsim_explore
        ));
    }
    // A hand-edited or damaged header must give an error, not a division by zero.
    let Header { shard, seeds, .. } = &header;
    if shard.count == 0 || shard.index >= shard.count || seeds.start >= seeds.end {
        return Err(format!(
            "{name}:1: the header's shard {shard} or seeds {seeds:?} make no sense"
        ));
    }
    let mut results = Vec::new();
    for (i, line) in lines {
        let result: SeedResult = serde_json::from_str(line).map_err(|e| format!("{name}:{}: {e}", i + 1))?;
        results.push(result);
    }
    // Walk the expected seeds lazily: a header may claim a range far larger than
    // the file, and listing it would exhaust memory.
    let expected = || header.shard.iter(&header.seeds);
    let wanted = header.shard.len(&header.seeds);
    if results.len() as u64 != wanted || !expected().zip(&results).all(|(s, r)| r.seed == s) {
        let got: std::collections::BTreeSet<u64> = results.iter().map(|r| r.seed).collect();
        // At most `got.len()` of the first `got.len() + 5` expected seeds are present.
        let missing: Vec<String> = expected()
            .take(got.len() + 5)
            .filter(|s| !got.contains(s))
            .take(5)
            .map(|s| s.to_string())
            .collect();
        return Err(format!(
            "{name}: holds {} results but shard {} of seeds {}..{} has {wanted} seeds{}; was the job cut short?",
            results.len(),
            header.shard,
            header.seeds.start,
            header.seeds.end,
            if missing.is_empty() {
                " (or some are out of order, duplicated or foreign)".to_string()
            } else {
                format!(
                    " (missing {}{})",
                    missing.join(", "),
                    if missing.len() == 5 { ", ..." } else { "" }
                )
            }
        ));
    }
    Ok((header, results))
}

/// Joins the files of the shards of one exploration into the unsharded result.
pub fn merge(files: &[(String, Header, Vec<SeedResult>)]) -> Result<(Header, Vec<SeedResult>), String> {
    let Some((first_name, first, _)) = files.first() else {
        return Err("--merge needs at least one results file".into());
    };
    let count = first.shard.count;
    let mut by_index: std::collections::BTreeMap<u64, &str> = Default::default();
    for (name, header, _) in files {
        let differs = |what: &str, a: String, b: String| {
            format!("{name} and {first_name} are not shards of the same exploration: {what} {b} against {a}")
        };
        if header.scenario != first.scenario || header.scenario_digest != first.scenario_digest {
            return Err(differs(
                "scenario",
                format!("`{}` ({})", first.scenario, first.scenario_digest),
                format!("`{}` ({})", header.scenario, header.scenario_digest),
            ));
        }
        if header.seeds != first.seeds {
            return Err(differs(
                "seeds",
                format!("{:?}", first.seeds),
                format!("{:?}", header.seeds),
            ));
        }
        if header.shard.count != count {
            return Err(differs(
                "shard count",
                count.to_string(),
                header.shard.count.to_string(),
            ));
        }
        if header.version != first.version {
            return Err(differs(
                "ckptsim version",
                first.version.clone(),
                header.version.clone(),
            ));
        }
        if header.max_shrink_runs != first.max_shrink_runs {
            return Err(differs(
                "--max-shrink-runs",
                first.max_shrink_runs.to_string(),
                header.max_shrink_runs.to_string(),
            ));
        }
        if let Some(other) = by_index.insert(header.shard.index, name) {
            return Err(format!(
                "{name} and {other} both hold shard {}: the seeds would be counted twice",
                header.shard
            ));
        }
    }
    // Every index is below `count` and none repeats, so fewer files than shards
    // means some are missing; list the first few.
    if (by_index.len() as u64) < count {
        let missing: Vec<String> = (0..count)
            .filter(|i| !by_index.contains_key(i))
            .take(10)
            .map(|i| {
                let shard = Shard { index: i, count };
                format!("{shard} ({})", shard.file_name())
            })
            .collect();
        return Err(format!(
            "the files do not cover seeds {}..{}: missing {} shard(s): {}{}",
            first.seeds.start,
            first.seeds.end,
            count - by_index.len() as u64,
            missing.join(", "),
            if count - (by_index.len() as u64) > 10 {
                ", ..."
            } else {
                ""
            }
        ));
    }
    let mut results: Vec<SeedResult> = files.iter().flat_map(|(_, _, r)| r.iter().cloned()).collect();
    results.sort_by_key(|r| r.seed);
    let header = Header {
        shard: Shard::WHOLE,
        ..first.clone()
    };
    Ok((header, results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_a_range() {
        let range = 10..23;
        let mut all: Vec<u64> = (0..4)
            .flat_map(|i| Shard { index: i, count: 4 }.seeds(&range))
            .collect();
        all.sort();
        assert_eq!(all, range.collect::<Vec<_>>());
        assert_eq!(Shard { index: 1, count: 4 }.seeds(&(10..23)), vec![11, 15, 19]);
        for (index, count, range) in [(0, 1, 0..7), (3, 4, 10..23), (5, 9, 0..3), (2, 3, 5..8)] {
            let shard = Shard { index, count };
            assert_eq!(
                shard.len(&range),
                shard.seeds(&range).len() as u64,
                "{shard} of {range:?}"
            );
        }
    }

    #[test]
    fn shard_specs() {
        assert_eq!(parse_shard("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1/0", "1", "a/2", "-1/2", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
