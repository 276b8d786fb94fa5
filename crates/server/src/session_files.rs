//! Sessions in plain files, for processes that decide once and exit
//! (`permit0 hook`, `permit0 eval --data`): a [`SessionStore`] that costs
//! a lock, a read and an append per call, where opening SQLite costs a
//! hook call about 0.6 ms (the WAL index a new process rebuilds, the
//! schema it parses, the pages its code touches; docs/integrations.md,
//! "Speed"). `permit0 serve` keeps its sessions in SQLite or Redis.
//!
//! Layout, under the data directory:
//!
//! - `sessions/lock`: every observation holds it (`flock`, exclusive) from
//!   its first read to its last write, so two processes of one agent
//!   cannot both slip under a cap — the second reads the first's entry.
//! - `sessions/<32 hex digits>`: one file per scope key, named by the first
//!   128 bits of its SHA-256 (a session id is the agent's text, never a
//!   path). The file opens with a header naming the scope key in full
//!   (checked on every read), then one record per recorded action: `n:
//!   u16` and its complement (so a damaged length is told from a record
//!   cut short), `time: i64` (`i64::MIN` for none), `n` pairs of
//!   `(aggregate key: u64, value: i64)`, and a check (`u32`, FNV-1a over
//!   the rest), all little-endian.
//!
//! Durability is the SQLite store's with `synchronous = NORMAL`: a record
//! is in the file (and survives `kill -9`) when the call answers; a power
//! loss may lose the newest records. A record cut short at the end of the
//! file (a write the machine did not finish) is dropped; anything else
//! that does not read back — a record that fails its check, a header for
//! another scope — fails the observation, and the caller fails closed.

use crate::regular_files::{open_regular, read_regular};
use crate::store::{aggregate, contributions_blob, mark_failed, Keep};
use permit0_session::{Observation, SessionStore, StoreError};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The first bytes of every session file (format 1).
const MAGIC: &[u8] = b"permit0 session 1\n";

/// Records beyond `max_entries` a file may hold before it is rewritten
/// with only the newest: the rewrite's cost spread over this many calls.
const SLACK: usize = 64;

/// A session file is at most `max_entries + SLACK` records of a few dozen
/// bytes; one larger than this was not written by permit0, and is refused
/// rather than read into memory.
const MAX_FILE: u64 = 16 << 20;

/// How long an observation waits for another process's lock (as long as
/// the SQLite store's busy timeout).
const WAIT: Duration = crate::db::BUSY;

/// A recorded action: its time, and its contributions as the SQLite store
/// keeps them (16 bytes a pair).
type Entry = (Option<i64>, Vec<u8>);

/// The file-backed session store (see the module documentation).
#[derive(Debug)]
pub struct SessionFiles {
    dir: PathBuf,
    keep: Keep,
}

impl SessionFiles {
    /// The store under `data` (`data/sessions`, created if missing).
    pub fn open(data: &Path, keep: Keep) -> Result<SessionFiles, String> {
        let dir = data.join("sessions");
        if !dir.is_dir() && data.join(crate::db::DB_FILE).is_file() {
            import(data, &dir, keep)?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(SessionFiles { dir, keep })
    }

    fn path(&self, scope: &str) -> PathBuf {
        let digest = Sha256::digest(scope.as_bytes());
        self.dir
            .join(permit0_vm::hex(digest.get(..16).unwrap_or(&digest)))
    }

    /// Takes the store's lock, waiting up to [`WAIT`] for another process.
    fn lock(&self) -> Result<File, String> {
        let path = self.dir.join("lock");
        let file = open_regular(
            &path,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < WAIT => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(format!(
                        "`{}` is held by another process (waited {} s)",
                        path.display(),
                        WAIT.as_secs()
                    ))
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(format!("cannot lock `{}`: {e}", path.display()))
                }
            }
        }
    }

    /// One scope's history, oldest first, and how many bytes of its file
    /// read back (anything after is a record cut short).
    fn read(&self, scope: &str) -> Result<(Vec<Entry>, u64), String> {
        let path = self.path(scope);
        let bytes = match read_regular(&path, MAX_FILE) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                return Err(format!(
                    "`{}` is larger than a session file can be ({} MB)",
                    path.display(),
                    MAX_FILE >> 20
                ))
            }
            Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
        };
        parse(scope, &bytes).map_err(|why| format!("`{}` {why}", path.display()))
    }

    /// Appends one record, after the part of the file that read back.
    fn append(&self, scope: &str, good: u64, entry: &Entry) -> Result<(), String> {
        let path = self.path(scope);
        let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
        let mut file = open_regular(
            &path,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(fail)?;
        let mut out = Vec::with_capacity(64 + entry.1.len());
        if good == 0 {
            file.set_len(0).map_err(fail)?;
            header(scope, &mut out);
        } else if file.metadata().map_err(fail)?.len() != good {
            // A record cut short: written over.
            file.set_len(good).map_err(fail)?;
        }
        record(entry, &mut out);
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(if good == 0 { 0 } else { good }))
            .map_err(fail)?;
        file.write_all(&out).map_err(fail)
    }

    /// Rewrites a scope's file with only `keep` (oldest first): written
    /// beside it, then renamed over it, so a reader sees one or the other.
    fn rewrite(&self, scope: &str, keep: &[Entry]) -> Result<(), String> {
        let path = self.path(scope);
        let tmp = path.with_extension("new");
        let mut out = Vec::new();
        header(scope, &mut out);
        for e in keep {
            record(e, &mut out);
        }
        // Made anew (whatever stood at `tmp` is removed first), never
        // opened where something else waits.
        let _ = std::fs::remove_file(&tmp);
        open_regular(&tmp, OpenOptions::new().write(true).create_new(true))
            .and_then(|mut f| f.write_all(&out))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot rewrite `{}`: {e}", path.display()))
    }

    /// Removes the files of sessions nobody recorded into for longer than
    /// the store keeps an action (run when a new session's file is made,
    /// which is rare: once per coding session).
    fn sweep(&self) {
        let Some(horizon) = SystemTime::now().checked_sub(Duration::from_millis(
            u64::try_from(self.keep.max_age_ms).unwrap_or(0),
        )) else {
            return;
        };
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for f in dir.flatten() {
            let name = f.file_name();
            let is_session = name.len() == 32
                && name
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()));
            let old = f
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < horizon);
            if is_session && old {
                let _ = std::fs::remove_file(f.path());
            }
        }
    }

    fn observe_locked(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), String> {
        let _lock = self.lock()?;
        let max = usize::try_from(self.keep.max_entries).unwrap_or(usize::MAX);
        let horizon = o.time.map(|t| t.saturating_sub(self.keep.max_age_ms));
        let mut made = false;
        for step in o.scopes {
            let (mut entries, good) = self.read(step.scope)?;
            // The session is the newest `max_entries` inside the horizon;
            // the file may hold more until its next rewrite.
            let held = entries.len();
            entries.drain(..held.saturating_sub(max));
            entries.retain(|(t, _)| match (t, horizon) {
                (Some(t), Some(h)) => *t >= h,
                _ => true,
            });
            if !step.queries.is_empty() {
                // `aggregate` reads newest first; turned in place, not copied.
                entries.reverse();
                for q in step.queries {
                    answer(q.agg, aggregate(&entries, q, o.time));
                }
                entries.reverse();
            }
            let Some(contributions) = step.record else {
                continue;
            };
            let entry = (o.time, contributions_blob(contributions));
            made |= good == 0;
            if held + 1 > max + SLACK {
                entries.push(entry);
                let from = entries.len().saturating_sub(max);
                self.rewrite(step.scope, entries.get(from..).unwrap_or_default())?;
            } else {
                self.append(step.scope, good, &entry)?;
            }
        }
        if made {
            self.sweep();
        }
        Ok(())
    }
}

impl SessionStore for SessionFiles {
    fn observe(
        &self,
        o: &Observation<'_>,
        answer: &mut dyn FnMut(u16, i64),
    ) -> Result<(), StoreError> {
        // Answers are given only once every write is done: a failure
        // half-way answers nothing.
        let mut answers: Vec<(u16, i64)> = Vec::new();
        match self.observe_locked(o, &mut |a, v| answers.push((a, v))) {
            Ok(()) => {
                for (a, v) in answers {
                    answer(a, v);
                }
                Ok(())
            }
            Err(e) => {
                mark_failed();
                Err(StoreError(format!("session files: {e}")))
            }
        }
    }

    fn forget(&self, scope: &str) -> Result<(), StoreError> {
        let _lock = self.lock().map_err(StoreError)?;
        match std::fs::remove_file(self.path(scope)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError(format!("session files: {e}"))),
        }
    }

    fn entries(&self, scope: &str) -> Result<usize, StoreError> {
        let _lock = self.lock().map_err(StoreError)?;
        self.read(scope).map(|(e, _)| e.len()).map_err(StoreError)
    }
}

/// Sessions recorded in the data directory's SQLite database (where
/// `permit0 hook` kept them before it kept files) become files, once: the
/// first hook call after the upgrade reads them, so no session starts
/// over. Written into a directory of its own, then renamed into place; a
/// process that loses that race keeps the winner's.
fn import(data: &Path, dir: &Path, keep: Keep) -> Result<(), String> {
    let db = crate::db::Db::open(data).map_err(|e| format!("the sessions to import: {e}"))?;
    let staging = data.join(format!("sessions.import-{}", std::process::id()));
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create `{}`: {e}", staging.display()))?;
    let files = SessionFiles {
        dir: staging.clone(),
        keep,
    };
    let max = usize::try_from(keep.max_entries).unwrap_or(usize::MAX);
    let failed = |e: rusqlite::Error| format!("the sessions to import: {e}");
    // One scope at a time, its newest `max_entries` only: a database of any
    // size is imported in the memory of one session.
    let copied = (|| -> Result<(), String> {
        let c = db.main();
        let mut st = c
            .prepare(
                "SELECT scope, time_ms, contributions FROM session_entries ORDER BY scope, seq",
            )
            .map_err(failed)?;
        let mut rows = st.query([]).map_err(failed)?;
        let mut scope: Option<String> = None;
        let mut entries: std::collections::VecDeque<Entry> = std::collections::VecDeque::new();
        loop {
            let row = rows.next().map_err(failed)?;
            let next: Option<(String, Option<i64>, Vec<u8>)> = match row {
                Some(r) => Some((
                    r.get(0).map_err(failed)?,
                    r.get(1).map_err(failed)?,
                    r.get(2).map_err(failed)?,
                )),
                None => None,
            };
            if scope.as_deref() != next.as_ref().map(|n| n.0.as_str()) {
                if let Some(done) = scope.take() {
                    files.rewrite(&done, entries.make_contiguous())?;
                }
                entries.clear();
            }
            let Some((name, time, contributions)) = next else {
                break;
            };
            scope = Some(name);
            entries.push_back((time, contributions));
            if entries.len() > max {
                entries.pop_front();
            }
        }
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if std::fs::rename(&staging, dir).is_err() {
        // Another process imported first.
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(())
}

/// FNV-1a, 32 bits: a record's check.
fn check(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

fn header(scope: &str, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(MAGIC);
    // A scope key longer than 4 GB is not a key any request can make.
    out.extend_from_slice(&u32::try_from(scope.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(scope.as_bytes());
    let c = check(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&c.to_le_bytes());
}

fn record((time, blob): &Entry, out: &mut Vec<u8>) {
    let start = out.len();
    let n = u16::try_from(blob.len() / 16).unwrap_or(u16::MAX);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(!n).to_le_bytes());
    out.extend_from_slice(&time.unwrap_or(i64::MIN).to_le_bytes());
    out.extend_from_slice(blob.get(..usize::from(n) * 16).unwrap_or(blob));
    let c = check(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&c.to_le_bytes());
}

/// A file's records (oldest first) and the length that read back; an
/// error says what is wrong with it.
fn parse(scope: &str, bytes: &[u8]) -> Result<(Vec<Entry>, u64), String> {
    if bytes.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut want = Vec::with_capacity(MAGIC.len() + 8 + scope.len());
    header(scope, &mut want);
    if !bytes.starts_with(&want) {
        return Err(if bytes.starts_with(MAGIC) {
            "is another session's file, or its header is damaged".into()
        } else {
            "is not a permit0 session file".into()
        });
    }
    let mut at = want.len();
    let mut entries = Vec::new();
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        if rest.is_empty() {
            break;
        }
        if rest.iter().all(|b| *b == 0) {
            // A tail the file system extended but never wrote.
            break;
        }
        let Some(&[n0, n1, c0, c1]) = rest.get(..4) else {
            // Cut short by a write the machine did not finish.
            break;
        };
        let n = u16::from_le_bytes([n0, n1]);
        if n != !u16::from_le_bytes([c0, c1]) {
            return Err(format!(
                "is damaged: the record at byte {at} has a bad length"
            ));
        }
        let Some(rec) = rest.get(..4 + 8 + usize::from(n) * 16 + 4) else {
            // Cut short by a write the machine did not finish.
            break;
        };
        let (body, sum) = rec.split_at(rec.len().saturating_sub(4));
        let sum = u32::from_le_bytes(sum.try_into().unwrap_or_default());
        if check(body) != sum {
            return Err(format!(
                "is damaged: the record at byte {at} fails its check"
            ));
        }
        let t = i64::from_le_bytes(
            body.get(4..12)
                .and_then(|b| b.try_into().ok())
                .unwrap_or_default(),
        );
        entries.push((
            (t != i64::MIN).then_some(t),
            body.get(12..).unwrap_or_default().to_vec(),
        ));
        at += rec.len();
    }
    Ok((entries, u64::try_from(at).unwrap_or(u64::MAX)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use permit0_session::{MemoryStore, ScopeStep};
    use permit0_vm::wire::AggKindWire;
    use permit0_vm::AggQuery;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "permit0-session-files-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    const DELETES: u64 = 0xde1e7e;

    fn query(kind: AggKindWire, window_ms: i64, window_actions: i64) -> AggQuery {
        AggQuery {
            agg: 0,
            scope: 0,
            key: DELETES,
            kind,
            window_ms,
            window_actions,
        }
    }

    /// One observation: the answer to `q` before this action, then the
    /// action recorded (with `value`) when `record`.
    fn observe(
        s: &dyn SessionStore,
        scope: &str,
        time: Option<i64>,
        q: AggQuery,
        value: i64,
    ) -> Result<i64, StoreError> {
        let contributions = [(DELETES, value)];
        let step = [ScopeStep {
            scope,
            queries: std::slice::from_ref(&q),
            record: Some(&contributions),
        }];
        let mut got = 0;
        s.observe(&Observation::single(&step, time), &mut |_, v| got = v)?;
        Ok(got)
    }

    /// The agent runs its hook calls in parallel (parallel tool calls):
    /// forty deletions at once, from eight "processes" (stores of their own
    /// on one directory), against a cap of ten. The lock makes each
    /// read-then-record one step: exactly ten get under the cap.
    #[test]
    fn parallel_calls_from_many_processes_never_slip_under_a_cap_together() {
        let dir = scratch("cap");
        let allowed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|t| {
            for _ in 0..8 {
                t.spawn(|| {
                    let store = SessionFiles::open(&dir, Keep::default()).unwrap();
                    for _ in 0..5 {
                        let before = observe(
                            &store,
                            "s1",
                            Some(1_000),
                            query(AggKindWire::Count, 0, 0),
                            1,
                        )
                        .unwrap();
                        if before < 10 {
                            allowed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(allowed.into_inner(), 10);
        let store = SessionFiles::open(&dir, Keep::default()).unwrap();
        assert_eq!(store.entries("s1").unwrap(), 40);
    }

    /// The same history answers the same in files as in memory: counts,
    /// sums, seen and distinct, over time windows and action windows, with
    /// entries that carry no time, across a rewrite, for two sessions.
    #[test]
    fn files_answer_as_the_memory_store_does() {
        let dir = scratch("same");
        let keep = Keep {
            max_entries: 40,
            max_age_ms: 7 * 24 * 3_600_000,
        };
        let files = SessionFiles::open(&dir, keep).unwrap();
        let memory = MemoryStore::new(permit0_session::SessionLimits {
            max_sessions: 16,
            max_entries: 40,
            max_age_ms: keep.max_age_ms,
        });
        let queries = [
            query(AggKindWire::Count, 0, 0),
            query(AggKindWire::Count, 60_000, 0),
            query(AggKindWire::Sum, 3_600_000, 0),
            query(AggKindWire::Sum, 0, 5),
            query(AggKindWire::Seen, 1_000, 0),
            query(AggKindWire::Distinct, 0, 0),
            query(AggKindWire::Distinct, 120_000, 3),
        ];
        let mut time = 1_700_000_000_000i64;
        for n in 0..150i64 {
            time += (n * 7_919) % 50_000;
            let at = if n % 13 == 0 { None } else { Some(time) };
            let scope = if n % 3 == 0 { "s-a" } else { "s-b" };
            let q = queries[(n as usize) % queries.len()];
            let value = (n * 31) % 17;
            let f = observe(&files, scope, at, q, value).unwrap();
            let m = observe(&memory, scope, at, q, value).unwrap();
            assert_eq!(f, m, "observation {n} ({q:?}) in {scope}");
        }
        // Rewritten down to the newest 40 at most 64 past them.
        assert!(files.entries("s-b").unwrap() <= 40 + SLACK);
        assert!(files.entries("s-b").unwrap() >= 40);
    }

    /// Upgrading: sessions a hook kept in SQLite before are read from
    /// files after, so a capped session stays capped.
    #[test]
    fn sessions_kept_in_sqlite_before_are_imported_once() {
        let dir = scratch("import");
        let sqlite = crate::store::SqliteStore::new(
            std::sync::Arc::new(crate::db::Db::open(&dir).unwrap()),
            Keep::default(),
        );
        for n in 0..12 {
            observe(
                &sqlite,
                "s-old",
                Some(1_000 + n),
                query(AggKindWire::Count, 0, 0),
                1,
            )
            .unwrap();
        }
        observe(&sqlite, "s-other", None, query(AggKindWire::Count, 0, 0), 1).unwrap();
        drop(sqlite);
        let files = SessionFiles::open(&dir, Keep::default()).unwrap();
        assert_eq!(files.entries("s-old").unwrap(), 12);
        assert_eq!(files.entries("s-other").unwrap(), 1);
        assert_eq!(
            observe(
                &files,
                "s-old",
                Some(2_000),
                query(AggKindWire::Count, 0, 0),
                1
            )
            .unwrap(),
            12
        );
        // Once: a later open reads the files, not the database again.
        drop(files);
        let again = SessionFiles::open(&dir, Keep::default()).unwrap();
        assert_eq!(again.entries("s-old").unwrap(), 13);
    }

    #[test]
    fn a_file_reads_back_its_records_and_drops_only_a_torn_tail() {
        let mut bytes = Vec::new();
        header("s-x", &mut bytes);
        let a: Entry = (Some(5), [7u64.to_le_bytes(), 9i64.to_le_bytes()].concat());
        let b: Entry = (None, Vec::new());
        record(&a, &mut bytes);
        record(&b, &mut bytes);
        let full = bytes.len() as u64;
        assert_eq!(
            parse("s-x", &bytes).unwrap(),
            (vec![a.clone(), b.clone()], full)
        );

        // Cut anywhere inside the last record: the first stands.
        for cut in 1..16 {
            let torn = &bytes[..bytes.len() - cut];
            let (entries, good) = parse("s-x", torn).unwrap();
            assert_eq!(entries, vec![a.clone()], "cut {cut}");
            assert!(good < full);
        }
        // A tail of zeros the file system never wrote.
        let mut zeros = bytes.clone();
        zeros.extend_from_slice(&[0; 40]);
        assert_eq!(parse("s-x", &zeros).unwrap().1, full);

        // A changed byte anywhere after the header is refused.
        let start = bytes.len() - 2 * 16 - 16;
        for i in start..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            assert!(parse("s-x", &bad).is_err(), "byte {i}");
        }
        // Another scope's file, or not a session file at all.
        assert!(parse("s-y", &bytes)
            .unwrap_err()
            .contains("another session"));
        assert!(parse("s-x", b"SQLite format 3\0")
            .unwrap_err()
            .contains("not a permit0 session file"));
    }

    /// Any bytes at all — truncated, flipped, spliced, random — read back
    /// as records or as an error, never a panic or a hang.
    #[test]
    fn any_bytes_read_back_or_fail_but_never_panic() {
        let mut good = Vec::new();
        header("s-fuzz", &mut good);
        for n in 0..6u64 {
            let blob: Vec<u8> = (0..n)
                .flat_map(|k| [k.to_le_bytes(), n.to_le_bytes()].concat())
                .collect();
            record(&(Some(n as i64), blob), &mut good);
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut b = good.clone();
            match rnd() % 4 {
                0 => b.truncate((rnd() as usize) % (good.len() + 1)),
                1 => {
                    for _ in 0..1 + rnd() % 4 {
                        let i = (rnd() as usize) % b.len();
                        b[i] = rnd() as u8;
                    }
                }
                2 => {
                    let at = (rnd() as usize) % b.len();
                    let extra: Vec<u8> = (0..rnd() % 64).map(|_| rnd() as u8).collect();
                    b.splice(at..at, extra);
                }
                _ => b = (0..rnd() % 200).map(|_| rnd() as u8).collect(),
            }
            if let Ok((entries, good_len)) = parse("s-fuzz", &b) {
                assert!(good_len as usize <= b.len());
                assert!(entries.len() <= 6 + b.len() / 16);
            }
        }
    }

    /// A file far larger than any session (planted, or not permit0's) is
    /// refused before it is read into memory: the call fails closed.
    #[test]
    fn a_file_larger_than_any_session_is_refused() {
        let dir = scratch("huge");
        let store = SessionFiles::open(&dir, Keep::default()).unwrap();
        observe(
            &store,
            "s-huge",
            Some(1),
            query(AggKindWire::Count, 0, 0),
            1,
        )
        .unwrap();
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(store.path("s-huge"))
            .unwrap();
        f.set_len(MAX_FILE + 1).unwrap();
        let e = observe(
            &store,
            "s-huge",
            Some(2),
            query(AggKindWire::Count, 0, 0),
            1,
        )
        .unwrap_err();
        assert!(e.0.contains("larger than a session file can be"), "{e}");
    }

    /// A session id is the agent's text: whatever it holds, it names a
    /// file by its hash inside `sessions/`, never a path of its own.
    #[test]
    fn a_session_id_never_becomes_a_path() {
        let dir = scratch("paths");
        let store = SessionFiles::open(&dir, Keep::default()).unwrap();
        for id in ["../../etc/passwd", "/tmp/x", "a\0b", "", "lock", "."] {
            observe(&store, id, Some(1), query(AggKindWire::Count, 0, 0), 1).unwrap();
            assert_eq!(store.entries(id).unwrap(), 1, "{id:?}");
        }
        let names: Vec<String> = std::fs::read_dir(dir.join("sessions"))
            .unwrap()
            .map(|f| f.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 7, "{names:?}");
        assert!(names
            .iter()
            .all(|n| n == "lock" || (n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit()))));
    }
}
