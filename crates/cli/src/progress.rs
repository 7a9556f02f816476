//! Progress bars on a terminal: one for the current input (bytes/s, ETA)
//! and one for the whole run. Silent when stderr is not a TTY or `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kensa_ingest::source::InputSpec;
use kensa_ingest::{InputOutcome, ProgressSink};

pub struct Bars {
    _mp: MultiProgress,
    overall: ProgressBar,
    current: ProgressBar,
    state: Arc<Mutex<Option<Arc<AtomicU64>>>>,
    done_bytes: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Bars {
    pub fn new(specs: &[InputSpec], quiet: bool) -> Option<Bars> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let total: u64 = specs
            .iter()
            .filter_map(|s| match s {
                InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                InputSpec::Stdin => None,
            })
            .sum();
        let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let overall = mp.add(ProgressBar::new(total).with_style(style.clone()).with_prefix("total"));
        let current = mp.add(ProgressBar::new(0).with_style(style).with_prefix("file"));
        let state: Arc<Mutex<Option<Arc<AtomicU64>>>> = Arc::new(Mutex::new(None));
        let done_bytes = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (state, done, stop, o, c) = (state.clone(), done_bytes.clone(), stop.clone(), overall.clone(), current.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let cur = state.lock().ok().and_then(|s| s.as_ref().map(|c| c.load(Ordering::Relaxed))).unwrap_or(0);
                    c.set_position(cur);
                    o.set_position(done.load(Ordering::Relaxed) + cur);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Some(Bars { _mp: mp, overall, current, state, done_bytes, stop, ticker: Some(ticker) })
    }
}

impl ProgressSink for Bars {
    fn started(&self, path: &str, size: Option<u64>, counter: Arc<AtomicU64>) {
        self.current.reset();
        self.current.set_length(size.unwrap_or(0));
        self.current.set_message(crate::output::term(path).into_owned());
        if let Ok(mut s) = self.state.lock() {
            *s = Some(counter);
        }
    }

    fn finished(&self, o: &InputOutcome) {
        if let Ok(mut s) = self.state.lock() {
            if let Some(c) = s.take() {
                self.done_bytes.fetch_add(c.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        let _ = o;
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.current.finish_and_clear();
        self.overall.finish_and_clear();
    }
}
