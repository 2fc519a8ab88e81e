//! Drawing a report on several threads while the caller finishes the run.
//!
//! Most of a report does not depend on the exactly-once verdict: the plots, the Flink
//! exports, the Prometheus and CSV files, all of `run.json` but its last field, and
//! all of `summary.md` and `index.html` but the verdict's cell (and the plots). They
//! are drawn (and handed to `emit`, which writes them) by helper threads while the
//! caller computes the verdict, and by the caller once it is done; whichever thread
//! is free takes the next job. `run.json`, `summary.md` and `index.html` state the
//! verdict: the first helper finishes them while the caller goes on (printing the
//! run's summary), and [`Pending::wait`] waits for them.
//!
//! The threads start before the simulation, but draw only from the finished run's
//! statistics; until then they wait, or prepare files (`Drawers::start_after`), and
//! touch nothing of the run, whose determinism they cannot disturb. Every file's
//! contents are independent of which thread drew it.

use super::cpu;
use super::flink_rest::{self, FlinkExport};
use super::record::{RunJsonHead, RunRecord};
use super::{PageDrafts, csv, json, plots, prometheus, render_verdict_files};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Hands a finished report file to whoever writes it; called from several threads.
/// Each file is handed over by its name in the report folder and its contents.
pub type Emit = dyn Fn(&str, &[u8]) -> Result<(), String> + Send + Sync;

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
                    emit(&plot.file, plot.svg.as_bytes())?;
                    drawn.push((order, plot));
                }
                Job::FlinkOverview => {
                    emit("checkpoints.json", &json(&self.export().overview))?;
                    emit("checkpoints-config.json", &json(&flink_rest::config(&record.facts())))?;
                }
                Job::FlinkDetails => {
                    emit("checkpoints-details.json", &json(&self.export().details_by_id()))?;
                }
                Job::Prometheus => {
                    emit("metrics.prom", prometheus::render(record, self.export()).as_bytes())?;
                }
                Job::Csv => {
                    emit("checkpoints.csv", csv::checkpoints(record).as_bytes())?;
                    emit("subtasks.csv", csv::subtasks(record).as_bytes())?;
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

/// What the caller hands the first helper once it has drawn its share of the jobs:
/// the verdict, and the plots it drew, for the files that state the verdict.
struct Tail {
    verdict: serde_json::Value,
    plots: Vec<(usize, plots::Plot)>,
}

/// The first helper: it draws, joins the other helpers, and writes the files that
/// state the verdict while the caller prints its summary.
struct Helper {
    batches: Sender<Arc<Batch>>,
    tails: Sender<Tail>,
    handle: JoinHandle<Result<(), String>>,
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
    helper: Option<Helper>,
}

/// A report being finished by a helper while the caller does something else.
pub enum Pending {
    /// Finished: every file written, or what went wrong.
    Done(Result<(), String>),
    /// A helper writes the files that state the verdict; `mine` is how the caller's
    /// share went.
    Helper {
        handle: JoinHandle<Result<(), String>>,
        mine: Result<(), String>,
    },
}

impl Pending {
    /// Waits until every file is written; the first error, if any.
    pub fn wait(self) -> Result<(), String> {
        match self {
            Pending::Done(result) => result,
            Pending::Helper { handle, mine } => {
                // Joined before an error is returned, so that no helper is still
                // writing when the caller reports it.
                let theirs = join(handle);
                mine.and(theirs)
            }
        }
    }
}

/// Starts a thread named `report` off the caller's CPU.
fn spawn<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> Option<JoinHandle<R>> {
    let caller = cpu::current();
    let handle = std::thread::Builder::new().name("report".into()).spawn(body).ok()?;
    cpu::keep_off(&handle, caller);
    Some(handle)
}

/// Starts a helper, beyond the first, that draws its share of the batch it is sent.
fn spawn_drawer() -> Option<(Sender<Arc<Batch>>, JoinHandle<Drawn>)> {
    let (to_helper, batches) = channel::<Arc<Batch>>();
    let handle = spawn(move || batches.recv().map_or(Ok(Vec::new()), |batch| batch.take_jobs()))?;
    Some((to_helper, handle))
}

/// What a helper returned, or the error of one that panicked.
fn join<T>(handle: JoinHandle<Result<T, String>>) -> Result<T, String> {
    handle
        .join()
        .unwrap_or_else(|_| Err("drawing the report panicked".to_string()))
}

/// How long the first helper, done with its share, polls for the caller's before it
/// sleeps. The caller is then normally finishing its last job, a fraction of a
/// millisecond; waking a sleeping thread on a virtual machine's idle CPU takes
/// 0.05 to 0.3 ms of that.
const POLL_FOR_TAIL: Duration = Duration::from_millis(1);

/// Receives from `from`, polling for `poll` before sleeping; `None` once the sender
/// is gone.
fn receive_soon<T>(from: &Receiver<T>, poll: Duration) -> Option<T> {
    let started = Instant::now();
    loop {
        match from.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if started.elapsed() < poll => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return from.recv().ok(),
        }
    }
}

impl Drawers {
    pub fn start() -> Self {
        Self::start_after(|| {})
    }

    /// As [`Drawers::start`], the first helper running `prelude` before anything
    /// else. A helper that cannot be started leaves the whole report, and not the
    /// prelude, to the caller.
    pub fn start_after(prelude: impl FnOnce() + Send + 'static) -> Self {
        let (to_helper, batches) = channel::<Arc<Batch>>();
        let (to_tail, tails) = channel::<Tail>();
        let handle = spawn(move || {
            prelude();
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let more = cores.saturating_sub(2).min(JOBS.len() - 2);
            let others: Vec<_> = (0..more).map_while(|_| spawn_drawer()).collect();
            // The report was not drawn after all when the batch never comes.
            let Ok(batch) = batches.recv() else {
                return Ok(());
            };
            for (to_other, _) in &others {
                let _ = to_other.send(Arc::clone(&batch));
            }
            let mine = batch.take_jobs();
            // Every other helper is joined before an error is returned.
            let theirs: Vec<Drawn> = others.into_iter().map(|(_, handle)| join(handle)).collect();
            // Polling on the caller's CPU would slow the caller down.
            let poll = if cores > 1 { POLL_FOR_TAIL } else { Duration::ZERO };
            let tail = receive_soon(&tails, poll);
            let mut plots = mine?;
            for drawn in theirs {
                plots.extend(drawn?);
            }
            // Without a tail, the caller failed, and reports its own error.
            let Some(tail) = tail else {
                return Ok(());
            };
            plots.extend(tail.plots);
            batch.finish(plots, &tail.verdict)
        });
        Self {
            helper: handle.map(|handle| Helper {
                batches: to_helper,
                tails: to_tail,
                handle,
            }),
        }
    }

    /// Renders `record`'s report while `work` runs, and returns what `work` returned.
    /// `work` computes the exactly-once verdict, returning it with its JSON for
    /// `record.verdict`. The files that state the verdict may still be being written
    /// when this returns: [`Pending::wait`] waits for them. A report that could not be
    /// drawn or written does not lose what `work` found.
    pub fn render_while<T>(
        self,
        record: RunRecord,
        work: impl FnOnce() -> (T, serde_json::Value),
        emit: Arc<Emit>,
    ) -> (T, Pending) {
        let batch = Arc::new(Batch {
            record,
            next: AtomicUsize::new(0),
            emit,
            export: OnceLock::new(),
            run_json: Mutex::new(None),
            drafts: Mutex::new(None),
        });
        if let Some(helper) = &self.helper {
            // A helper that is gone leaves its share to the caller.
            let _ = helper.batches.send(Arc::clone(&batch));
        }
        let (value, verdict) = work();
        let mine = batch.take_jobs();
        let pending = match (self.helper, mine) {
            (None, mine) => Pending::Done(mine.and_then(|plots| batch.finish(plots, &verdict))),
            // The helper, told nothing, stops after its share.
            (Some(helper), Err(e)) => Pending::Helper {
                handle: helper.handle,
                mine: Err(e),
            },
            (Some(helper), Ok(plots)) => {
                // A helper that cannot be told has stopped on an error of its own,
                // which waiting for it returns.
                let _ = helper.tails.send(Tail { verdict, plots });
                Pending::Helper {
                    handle: helper.handle,
                    mine: Ok(()),
                }
            }
        };
        (value, pending)
    }
}

impl Batch {
    /// Writes the files that state the verdict, once every job is done and `plots`
    /// holds every plot.
    fn finish(&self, mut plots: Vec<(usize, plots::Plot)>, verdict: &serde_json::Value) -> Result<(), String> {
        plots.sort_by_key(|(order, _)| *order);
        let plots: Vec<plots::Plot> = plots.into_iter().map(|(_, plot)| plot).collect();
        let run_json = self.run_json.lock().expect("no job panicked").take();
        let drafts = self.drafts.lock().expect("no job panicked").take();
        let run_json = run_json.unwrap_or_else(|| RunJsonHead::new(&self.record));
        let drafts = drafts.unwrap_or_else(|| PageDrafts::new(&self.record));
        render_verdict_files(verdict, run_json, drafts, &plots, &*self.emit)
    }
}
