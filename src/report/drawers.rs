//! Drawing a report on several threads while the caller finishes the run.
//!
//! Most of a report does not depend on the exactly-once verdict: the plots, the Flink
//! exports, the Prometheus and CSV files, and all of `run.json` but its last field.
//! They are drawn (and handed to `emit`, which writes them) by helper threads while
//! the caller computes the verdict, and by the caller once it is done; whichever
//! thread is free takes the next job. `run.json`, `summary.md` and `index.html`
//! state the verdict and are finished last.
//!
//! The threads start before the simulation, but draw only from the finished run's
//! statistics; until then they wait, or prepare files (`Drawers::start_after`), and
//! touch nothing of the run, whose determinism they cannot disturb. Every file's
//! contents are independent of which thread drew it.

use super::cpu;
use super::flink_rest::{self, FlinkExport};
use super::record::{RunJsonHead, RunRecord};
use super::{PageDrafts, ReportFile, csv, json, plots, prometheus, render_verdict_files};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// Hands a finished report file to whoever writes it; called from several threads.
pub type Emit = dyn Fn(ReportFile) -> Result<(), String> + Send + Sync;

/// Plots drawn by one thread, with their place in [`plots::RUN_PLOTS`].
type Drawn = Result<Vec<(usize, plots::Plot)>, String>;

/// A piece of a report that does not read the verdict.
#[derive(Clone, Copy)]
enum Job {
    /// One plot, by its place in [`plots::RUN_PLOTS`].
    Plot(usize),
    /// `checkpoints.json` and `checkpoints-config.json`.
    FlinkOverview,
    /// `checkpoints-details.json`.
    FlinkDetails,
    /// `metrics.prom`.
    Prometheus,
    /// `checkpoints.csv` and `subtasks.csv`.
    Csv,
    /// `run.json` up to the verdict.
    RunJsonHead,
    /// `summary.md` and `index.html` but for the verdict and the plots.
    PageDrafts,
}

/// The verdict-free jobs, longest first so that the threads finish together.
const JOBS: [Job; 11] = [
    Job::RunJsonHead,
    Job::FlinkDetails,
    Job::PageDrafts,
    // throughput-backpressure and checkpoints-over-time draw the most.
    Job::Plot(3),
    Job::Plot(2),
    Job::Csv,
    Job::Plot(1),
    Job::Prometheus,
    Job::Plot(0),
    Job::Plot(4),
    Job::FlinkOverview,
];

// Every plot of the page has exactly one job.
const _: () = {
    let mut jobs_per_plot = [0; plots::RUN_PLOTS.len()];
    let mut i = 0;
    while i < JOBS.len() {
        if let Job::Plot(order) = JOBS[i] {
            jobs_per_plot[order] += 1;
        }
        i += 1;
    }
    let mut order = 0;
    while order < jobs_per_plot.len() {
        assert!(
            jobs_per_plot[order] == 1,
            "every plot of RUN_PLOTS needs exactly one job"
        );
        order += 1;
    }
};

/// What the threads share: the record (its verdict not yet known), the next job, and
/// what more than one job needs.
struct Batch {
    record: RunRecord,
    next: AtomicUsize,
    emit: Arc<Emit>,
    /// The Flink REST export, computed by the first job that needs it.
    export: OnceLock<FlinkExport>,
    run_json: Mutex<Option<RunJsonHead>>,
    drafts: Mutex<Option<PageDrafts>>,
}

impl Batch {
    fn export(&self) -> &FlinkExport {
        self.export.get_or_init(|| flink_rest::export(&self.record))
    }

    /// Takes jobs until none is left, or until a job fails: then the other threads
    /// stop too, after the job each has in hand.
    fn take_jobs(&self) -> Drawn {
        let mut drawn = Vec::new();
        while let Some(job) = JOBS.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            if let Err(e) = self.run(*job, &mut drawn) {
                self.next.store(JOBS.len(), Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(drawn)
    }

    fn run(&self, job: Job, drawn: &mut Vec<(usize, plots::Plot)>) -> Result<(), String> {
        let (record, emit) = (&self.record, &*self.emit);
        {
            match job {
                Job::Plot(order) => {
                    let plot = plots::draw_run_plot(plots::RUN_PLOTS[order], record)?;
                    emit((plot.file.clone().into(), plot.svg.clone().into_bytes()))?;
                    drawn.push((order, plot));
                }
                Job::FlinkOverview => {
                    emit(("checkpoints.json".into(), json(&self.export().overview)))?;
                    emit((
                        "checkpoints-config.json".into(),
                        json(&flink_rest::config(&record.facts())),
                    ))?;
                }
                Job::FlinkDetails => {
                    emit(("checkpoints-details.json".into(), json(&self.export().details_by_id())))?;
                }
                Job::Prometheus => {
                    emit((
                        "metrics.prom".into(),
                        prometheus::render(record, self.export()).into_bytes(),
                    ))?;
                }
                Job::Csv => {
                    emit(("checkpoints.csv".into(), csv::checkpoints(record).into_bytes()))?;
                    emit(("subtasks.csv".into(), csv::subtasks(record).into_bytes()))?;
                }
                Job::RunJsonHead => {
                    let head = RunJsonHead::new(record);
                    *self.run_json.lock().expect("no job panicked") = Some(head);
                }
                Job::PageDrafts => {
                    let drafts = PageDrafts::new(record);
                    *self.drafts.lock().expect("no job panicked") = Some(drafts);
                }
            }
        }
        Ok(())
    }
}

/// Helper threads waiting to draw a report: one per core beside the caller's.
///
/// `ckptsim run --report` starts them before it simulates, so that they are running
/// when the run ends: a thread just spawned can wait a millisecond for a core of a
/// virtual machine, about the time the whole report takes. Each runs off the CPU of
/// the thread that started it (see [`cpu`]). The caller starts one; it starts the
/// others, so that asking how many cores there are (which reads cgroup files) costs
/// the caller nothing.
pub struct Drawers {
    helper: Option<(Sender<Arc<Batch>>, JoinHandle<Drawn>)>,
}

/// Starts a helper that runs `prelude`, then draws its share of the batch it is sent.
fn spawn_helper(
    prelude: impl FnOnce() -> Vec<(Sender<Arc<Batch>>, JoinHandle<Drawn>)> + Send + 'static,
) -> Option<(Sender<Arc<Batch>>, JoinHandle<Drawn>)> {
    let (to_helper, batches) = channel::<Arc<Batch>>();
    let caller = cpu::current();
    let handle = std::thread::Builder::new()
        .name("report".into())
        .spawn(move || {
            let others = prelude();
            // The report was not drawn after all when the batch never comes.
            let batch = batches.recv().ok();
            if let Some(batch) = &batch {
                for (to_other, _) in &others {
                    let _ = to_other.send(Arc::clone(batch));
                }
            }
            let mine = batch.map_or(Ok(Vec::new()), |batch| batch.take_jobs());
            // Every other helper is joined before an error is returned.
            let theirs: Vec<Drawn> = others.into_iter().map(|(_, handle)| join(handle)).collect();
            let mut drawn = mine?;
            for plots in theirs {
                drawn.extend(plots?);
            }
            Ok(drawn)
        })
        .ok()?;
    cpu::keep_off(&handle, caller);
    Some((to_helper, handle))
}

fn join(handle: JoinHandle<Drawn>) -> Drawn {
    handle
        .join()
        .unwrap_or_else(|_| Err("drawing the report panicked".to_string()))
}

impl Drawers {
    pub fn start() -> Self {
        Self::start_after(|| {})
    }

    /// As [`Drawers::start`], the first helper running `prelude` before anything
    /// else. A helper that cannot be started leaves the whole report, and not the
    /// prelude, to the caller.
    pub fn start_after(prelude: impl FnOnce() + Send + 'static) -> Self {
        let helper = spawn_helper(move || {
            prelude();
            let more = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .saturating_sub(2)
                .min(JOBS.len() - 2);
            (0..more).map_while(|_| spawn_helper(Vec::new)).collect()
        });
        Self { helper }
    }

    /// Renders `record`'s report while `work` runs, and returns what `work` returned.
    /// `work` computes the exactly-once verdict, returning it with its JSON for
    /// `record.verdict`. A report that could not be drawn or written does not lose
    /// what `work` found: both are returned.
    pub fn render_while<T>(
        self,
        record: RunRecord,
        work: impl FnOnce() -> (T, serde_json::Value),
        emit: Arc<Emit>,
    ) -> (T, Result<(), String>) {
        let batch = Arc::new(Batch {
            record,
            next: AtomicUsize::new(0),
            emit,
            export: OnceLock::new(),
            run_json: Mutex::new(None),
            drafts: Mutex::new(None),
        });
        let handle = self.helper.map(|(to_helper, handle)| {
            // A helper that is gone leaves its share to the caller.
            let _ = to_helper.send(Arc::clone(&batch));
            handle
        });
        let (value, verdict) = work();
        (value, Self::finish(batch, handle, verdict))
    }

    /// Takes the jobs left, joins the helpers and writes the files that state the verdict.
    fn finish(batch: Arc<Batch>, helper: Option<JoinHandle<Drawn>>, verdict: serde_json::Value) -> Result<(), String> {
        let mine = batch.take_jobs();
        // The helpers are joined before an error is returned, so that none is still
        // writing when the caller reports it.
        let theirs = helper.map_or(Ok(Vec::new()), join);
        let mut plots = mine?;
        plots.extend(theirs?);
        plots.sort_by_key(|(order, _)| *order);
        let plots: Vec<plots::Plot> = plots.into_iter().map(|(_, plot)| plot).collect();
        let run_json = batch.run_json.lock().expect("no job panicked").take();
        let drafts = batch.drafts.lock().expect("no job panicked").take();
        // Every helper has been joined, so the batch is normally this thread's alone.
        let (mut record, emit) = match Arc::try_unwrap(batch) {
            Ok(batch) => (batch.record, batch.emit),
            Err(shared) => (shared.record.clone(), Arc::clone(&shared.emit)),
        };
        let run_json = run_json.unwrap_or_else(|| RunJsonHead::new(&record));
        let drafts = drafts.unwrap_or_else(|| PageDrafts::new(&record));
        record.verdict = verdict;
        render_verdict_files(&record, run_json, drafts, &plots, &*emit)
    }
}
