//! The small on-disk state the push path needs without the app running — the account's push
//! rules and ignored users with the `/sync` position they are current at ([`AccountState`]) —
//! and the cross-process lock that the app and its extension share.
//!
//! Every write goes to a temporary file that is flushed and renamed over the old one, so a reader
//! (or a crash) sees the old state or the new, never half of one. A missing or corrupt file reads
//! as "nothing stored" (a corrupt one is logged and set aside), never as an error that would stop
//! a push from being shown.
//!
//! What is stored is a base for deltas, never the truth: the push path brings it up to date with
//! an incremental `/sync` from its position on every push. So a stored position must never claim
//! more than its data knows. Two rules keep that true across processes:
//! - the account state is replaced only by a writer that read the generation it replaces
//!   ([`StateStore::replace_account`]): its data came from a sync that started after that state
//!   was written, so positions only move forward;
//! - cached rooms (see `notify`) are labelled with a position no newer than the account's, so a
//!   sync from a room's position also brings every account change since the account's.

use crate::rules::{PushRules, RuleError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why the state could not be written or locked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file or folder of the store could not be read, written or created.
    #[error("cannot use the store folder {path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// The other process (app or extension) kept the lock longer than this one waits.
    #[error("another process holds the {name} lock for more than {waited:?}")]
    LockTimeout {
        /// Which lock (`session`, `account`, `notify`, `crypto`).
        name: String,
        /// How long this process waited.
        waited: Duration,
    },
}

fn io_error(path: &Path, error: impl std::fmt::Display) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

/// A folder of small JSON documents, shared by the processes of one app.
#[derive(Clone, Debug)]
pub struct StateStore {
    dir: PathBuf,
}

const ACCOUNT: &str = "account.json";
/// Files of earlier versions, removed with the account state.
const LEGACY: [&str; 3] = ["push_rules.json", "sync_token.json", "rooms.v2.json"];
/// Temporary files older than this were left by a writer that died (a killed extension).
const STALE_TEMPORARY: Duration = Duration::from_secs(60);

/// What the push path knows about the account, and the `/sync` position it is current at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    /// The `next_batch` of the sync this state is current at. `None` when it came from
    /// elsewhere (`GET /pushrules/`): then the next push syncs from scratch.
    #[serde(default)]
    pub since: Option<String>,
    /// Bumped by every write (see [`StateStore::replace_account`]).
    #[serde(default)]
    pub generation: u64,
    /// The `m.push_rules` content as the server sent it (parsed when used, leniently).
    #[serde(default)]
    pub push_rules: Option<RawJson>,
    /// `m.ignored_user_list`: users whose events are never shown.
    #[serde(default)]
    pub ignored_users: Vec<String>,
    /// Built from a whole answer (a sync from scratch, `/sync` or sliding) and brought up to
    /// date since, so every account data type the push path reads is here. (A state with a
    /// [`AccountState::since`] is whole too.) Only a whole state is a base for the account data
    /// a sliding-sync push brings: the changes since its room's position.
    #[serde(default)]
    pub whole: bool,
    /// The device's to-device position in sliding sync (built-in encryption): what the crypto
    /// store has taken in, acknowledged by the next push's request.
    #[serde(default)]
    pub to_device_since: Option<String>,
    /// When a push's sliding sync last asked for the device's one-time key counts and
    /// device-list changes (its `e2ee` extension; seconds since the Unix epoch). `None`: the next
    /// push asks (see [`AccountState::key_counts_due`]).
    #[serde(default)]
    pub key_counts_asked_at: Option<u64>,
}

/// A JSON document kept as its text: reading the account state does not build the rules' tree
/// (the push path reads the state before its request and parses the rules while it is in
/// flight). Equal when the texts are.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

impl RawJson {
    /// `value` as text.
    pub fn from_value(value: &Value) -> RawJson {
        // A `Value`'s text is always valid JSON (the default, `null`, is never used).
        RawJson(serde_json::value::RawValue::from_string(value.to_string()).unwrap_or_default())
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The document's tree.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.0.get() == other.0.get()
    }
}

/// The longest a push path goes without asking for the device's key counts (seconds; see
/// [`AccountState::key_counts_due`]).
pub const KEY_COUNTS_EVERY: u64 = 10 * 60;

impl AccountState {
    /// This state without its account data, for an answer from scratch to fill (nothing old may
    /// linger); the generation it replaces and the device's to-device position stay.
    pub fn emptied(&self) -> AccountState {
        AccountState {
            generation: self.generation,
            to_device_since: self.to_device_since.clone(),
            key_counts_asked_at: self.key_counts_asked_at,
            ..AccountState::default()
        }
    }

    /// Whether a push at `now` (Unix seconds) asks for the device's key counts and device-list
    /// changes: when never asked, when a push's to-device messages came since (Olm messages
    /// are how senders use up one-time keys), and at most [`KEY_COUNTS_EVERY`] apart otherwise.
    /// Why not every push: on Synapse that part of the answer costs about a quarter of a
    /// single-event round trip, and a warm push in an active room needs none of it; the app's
    /// own sync takes them in every time it runs.
    pub fn key_counts_due(&self, now: u64) -> bool {
        self.key_counts_asked_at
            .is_none_or(|asked| now.saturating_sub(asked) >= KEY_COUNTS_EVERY || asked > now)
    }

    /// Notes what a push's sliding sync at `now` did: asked for the key counts (`asked`) and
    /// brought to-device messages (`to_device`, which make the next push ask).
    pub fn note_key_counts(&mut self, asked: bool, to_device: bool, now: u64) {
        if asked {
            self.key_counts_asked_at = Some(now);
        }
        if to_device {
            self.key_counts_asked_at = None;
        }
    }

    /// Whether every account data type the push path reads is here (see [`AccountState::whole`]).
    pub fn is_whole(&self) -> bool {
        self.whole || self.since.is_some()
    }

    /// The rules, with the rules that do not parse left out (and returned).
    pub fn rules(&self) -> Option<(PushRules, Vec<RuleError>)> {
        let value = match self.push_rules.as_ref()?.to_value() {
            Ok(value) => value,
            Err(e) => {
                tracing::warn!("stored push rules are not JSON: {e}");
                return None;
            }
        };
        match PushRules::from_value_lenient(&value) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                tracing::warn!("stored push rules do not parse: {e}");
                None
            }
        }
    }
}

impl StateStore {
    /// Opens (and creates) the folder.
    pub fn open(dir: impl Into<PathBuf>) -> Result<StateStore, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let store = StateStore { dir };
        store.remove_stale_temporaries();
        Ok(store)
    }

    /// Removes the temporary files of writers that died before renaming them (here and among
    /// the rooms).
    fn remove_stale_temporaries(&self) {
        let entries = [self.dir.clone(), self.dir.join(ROOMS)]
            .into_iter()
            .filter_map(|folder| fs::read_dir(folder).ok())
            .flatten();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let old = || {
                let modified = entry.metadata().and_then(|m| m.modified()).ok();
                modified
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMPORARY)
            };
            if name.starts_with('.') && name.ends_with(".tmp") && old() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads a document; `None` when it is missing or unreadable.
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let path = self.dir.join(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(file = name, "cannot read stored state: {e}");
                return None;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::warn!(file = name, "stored state is corrupt, setting it aside: {e}");
                let _ = fs::rename(&path, self.dir.join(format!("{name}.corrupt")));
                None
            }
        }
    }

    /// Writes a document atomically and durably (flushed to the disk before it replaces the old
    /// one).
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StoreError> {
        self.write_with(name, value, true, false)
    }

    /// Writes a secret document (a session) atomically and durably, readable by its owner only.
    pub fn write_private<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StoreError> {
        self.write_with(name, value, true, true)
    }

    /// Writes a cache document atomically but without waiting for the disk: after a power cut it
    /// may read as missing or corrupt, which costs a refetch, never a wrong answer. On the push
    /// path a flush would cost more than the network request.
    pub fn write_cache<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StoreError> {
        self.write_with(name, value, false, false)
    }

    /// Writes raw bytes (a cached image) like [`StateStore::write_cache`]: atomically, not
    /// flushed. `name` may name a file in a subfolder, which is created.
    pub fn write_bytes_cache(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        self.write_raw(name, bytes, false, false)
    }

    /// Appends `bytes` to a cache document (created when missing), not flushed. One `write`:
    /// a process killed meanwhile leaves the document as it was, or with all of `bytes`.
    pub fn append_cache(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        let append = || {
            OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)?
                .write_all(bytes)
        };
        append().map_err(|e| io_error(&path, e))
    }

    /// Reads raw bytes written by [`StateStore::write_bytes_cache`]; `None` when missing.
    pub fn read_bytes(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.dir.join(name)).ok()
    }

    fn write_with<T: Serialize>(
        &self,
        name: &str,
        value: &T,
        durable: bool,
        private: bool,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|e| io_error(&self.dir.join(name), e))?;
        self.write_raw(name, &bytes, durable, private)
    }

    fn write_raw(&self, name: &str, bytes: &[u8], durable: bool, private: bool) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        // One temporary file per write: concurrent writers (threads or processes) never share one.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let write_id = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Beside the file, so that the rename stays within one folder.
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let temporary = path.with_file_name(format!(
            ".{}.{}.{write_id}.tmp",
            file_name.unwrap_or_default(),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut options = OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            if private {
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(bytes)?;
            if durable {
                file.sync_all()?;
            }
            fs::rename(&temporary, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&temporary);
            io_error(&path, e)
        })
    }

    /// Removes a document; no error when it is already gone.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&path, e)),
            _ => Ok(()),
        }
    }

    /// Takes the exclusive cross-process lock `name`, waiting up to `timeout`. The lock is held
    /// until the returned guard is dropped (or the process dies).
    pub async fn lock(&self, name: &str, timeout: Duration) -> Result<FileLock, StoreError> {
        let path = self.dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file, path }),
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(StoreError::LockTimeout {
                        name: name.to_owned(),
                        waited: timeout,
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_error(&path, e)),
            }
        }
    }

    /// The account state, if any.
    pub fn account(&self) -> Option<AccountState> {
        self.read(ACCOUNT)
    }

    /// The stored push rules (the base the push path brings up to date).
    pub fn push_rules(&self) -> Option<PushRules> {
        self.account()?.rules().map(|(rules, _)| rules)
    }

    /// The position the account state is current at.
    pub fn sync_token(&self) -> Option<String> {
        self.account()?.since
    }

    /// Replaces the account state with `state`, if the stored one is still the generation
    /// `read_generation` (0: none) that `state` was built from; `false` when another writer came
    /// first (its state is kept: it is as good a base, and never newer than what it claims).
    pub async fn replace_account(
        &self,
        read_generation: u64,
        mut state: AccountState,
    ) -> Result<bool, StoreError> {
        let _lock = self.lock("account", LOCK_WAIT).await?;
        let stored = self.account().map_or(0, |account| account.generation);
        if stored != read_generation {
            return Ok(false);
        }
        state.generation = read_generation + 1;
        // Not flushed to the disk: on the push path a flush costs more than the sync, and a
        // state lost in a power cut only costs the next push a sync from scratch.
        self.write_cache(ACCOUNT, &state)?;
        Ok(true)
    }

    /// Forgets the account state (the next push syncs from scratch).
    pub fn remove_account(&self) -> Result<(), StoreError> {
        self.remove(ACCOUNT)
    }

    /// Forgets everything tied to an account (after logout): its state and the caches built
    /// for it.
    pub fn clear_account_state(&self) -> Result<(), StoreError> {
        for name in [ACCOUNT, NOTIFIED_ROOMS].into_iter().chain(LEGACY) {
            self.remove(name)?;
        }
        let rooms = self.dir.join(ROOMS);
        match fs::remove_dir_all(&rooms) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&rooms, e)),
            _ => Ok(()),
        }
    }

    /// The cached room `room_id` (see [`ROOMS`]), if any.
    pub fn read_room<T: DeserializeOwned>(&self, room_id: &str) -> Option<T> {
        self.read(&room_file(room_id))
    }

    /// Caches `value` for `room_id` (see [`ROOMS`]), like [`StateStore::write_cache`]. A room
    /// new to the cache makes the least recently written ones leave when more than `max` are
    /// cached.
    pub fn write_room<T: Serialize>(&self, room_id: &str, value: &T, max: usize) -> Result<(), StoreError> {
        let name = room_file(room_id);
        let folder = self.dir.join(ROOMS);
        fs::create_dir_all(&folder).map_err(|e| io_error(&folder, e))?;
        let new = !self.dir.join(&name).exists();
        self.write_cache(&name, value)?;
        if new {
            self.evict_rooms(&folder, max);
        }
        Ok(())
    }

    /// Removes the least recently written room files beyond `max`.
    fn evict_rooms(&self, folder: &Path, max: usize) {
        for path in beyond_the_newest(folder, max, |name| name.ends_with(".json")) {
            let _ = fs::remove_file(path);
        }
    }
}

/// The room cache of the push path (see `notify`): a folder with a file per room, so that a push
/// reads and writes its own room only — whatever the number of rooms cached, and however big a
/// server made any of them. Versioned with what a cached room holds: v2 (one file for all)
/// rooms are fetched again. v3: a file per room, sliding-sync positions.
pub const ROOMS: &str = "rooms.v3";

/// The files of `folder` that `counted` names, beyond the `max` most recently written (a cache's
/// files to remove); none when the folder cannot be read.
pub fn beyond_the_newest(folder: &Path, max: usize, counted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|entry| counted(&entry.file_name().to_string_lossy()))
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(max);
    files.into_iter().take(excess).map(|(_, path)| path).collect()
}

/// The file of `room_id` in [`ROOMS`]: named by a stable 64-bit hash of the id (FNV-1a; room ids
/// may be longer than a file name), the room keeping its id inside to tell a collision.
fn room_file(room_id: &str) -> String {
    let hash = room_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{ROOMS}/{hash:016x}.json")
}
/// The rooms notified about and not read yet (see `notify`).
pub const NOTIFIED_ROOMS: &str = "notified_rooms.json";
/// How long a writer waits for another process's lock on the account state.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// A held cross-process lock, with a counter its holders can keep in it (see
/// [`FileLock::bump`]).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// The lock's counter: how many times holders bumped it (0 for a lock never bumped).
    pub fn count(&self) -> u64 {
        let mut bytes = [0u8; 8];
        let mut file = &self.file;
        match file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.read_exact(&mut bytes))
        {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => 0,
        }
    }

    /// Adds one to the lock's counter and returns it. Written in place in the lock file, which
    /// only holders touch: no temporary file and rename, whose flush (ext4 pushes a renamed
    /// file's data out at once) cost a push a third of a millisecond. Not flushed: the count
    /// only matters to processes alive now, and a power cut ends them.
    pub fn bump(&self) -> Result<u64, StoreError> {
        let next = self.count().wrapping_add(1);
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(&next.to_le_bytes()))
            .map_err(|e| io_error(&self.path, e))?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("matrix-push-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn account(since: &str) -> AccountState {
        AccountState {
            since: Some(since.into()),
            push_rules: Some(RawJson::from_value(
                &serde_json::json!({"global": {"override": []}}),
            )),
            ..AccountState::default()
        }
    }

    #[test]
    fn key_counts_are_asked_first_after_to_device_and_then_every_ten_minutes() {
        let mut state = AccountState::default();
        assert!(state.key_counts_due(1000), "never asked");
        state.note_key_counts(true, false, 1000);
        assert!(!state.key_counts_due(1000 + KEY_COUNTS_EVERY - 1));
        assert!(state.key_counts_due(1000 + KEY_COUNTS_EVERY));
        assert!(state.key_counts_due(999), "a clock set back asks");
        state.note_key_counts(false, false, 1200);
        assert!(
            !state.key_counts_due(1200),
            "a push that did not ask changes nothing"
        );
        state.note_key_counts(false, true, 1200);
        assert!(
            state.key_counts_due(1201),
            "to-device messages may have used keys up"
        );
        state.note_key_counts(true, true, 1300);
        assert!(
            state.key_counts_due(1301),
            "asked, but the same answer brought messages"
        );
        assert_eq!(state.emptied().key_counts_asked_at, state.key_counts_asked_at);
    }

    #[tokio::test]
    async fn documents_round_trip_and_corruption_reads_as_nothing() {
        let store = StateStore::open(temp_dir("docs")).unwrap();
        assert_eq!(store.sync_token(), None);
        assert!(
            store
                .replace_account(0, account("s72594_4483_1934"))
                .await
                .unwrap()
        );
        assert_eq!(store.sync_token().as_deref(), Some("s72594_4483_1934"));
        let rules = PushRules::from_json(r#"{"global": {"override": []}}"#).unwrap();
        assert_eq!(store.push_rules(), Some(rules));
        fs::write(store.dir().join(ACCOUNT), b"{not json").unwrap();
        assert_eq!(store.sync_token(), None);
        assert!(store.dir().join("account.json.corrupt").exists());
        assert!(store.replace_account(0, account("s1")).await.unwrap());
        store.clear_account_state().unwrap();
        assert_eq!(store.push_rules(), None);
        let leftovers: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn concurrent_writes_of_one_document_never_collide() {
        let store = StateStore::open(temp_dir("concurrent")).unwrap();
        let writers: Vec<_> = (0..8)
            .map(|n| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for round in 0..50 {
                        store
                            .write_cache("shared.json", &format!("writer {n} round {round}"))
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let last: String = store.read("shared.json").unwrap();
        assert!(last.starts_with("writer "), "{last}");
    }

    #[tokio::test]
    async fn a_lock_counts_the_bumps_of_its_holders_across_holds() {
        let store = StateStore::open(temp_dir("lock-count")).unwrap();
        let lock = store.lock("counted", Duration::from_secs(1)).await.unwrap();
        assert_eq!(lock.count(), 0);
        assert_eq!(lock.bump().unwrap(), 1);
        assert_eq!(lock.bump().unwrap(), 2);
        drop(lock);
        let lock = store.lock("counted", Duration::from_secs(1)).await.unwrap();
        assert_eq!(lock.count(), 2);
    }

    #[tokio::test]
    async fn the_account_state_is_replaced_only_from_the_generation_it_was_built_on() {
        let store = StateStore::open(temp_dir("generations")).unwrap();
        assert!(store.replace_account(0, account("s1")).await.unwrap());
        let read = store.account().unwrap();
        assert_eq!(read.generation, 1);
        // Two writers built on generation 1: the first wins, the second keeps its hands off.
        assert!(
            store
                .replace_account(read.generation, account("s2"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .replace_account(read.generation, account("s3"))
                .await
                .unwrap()
        );
        assert_eq!(store.sync_token().as_deref(), Some("s2"));
        assert_eq!(store.account().unwrap().generation, 2);
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_when_the_store_opens() {
        let dir = temp_dir("temporaries");
        let store = StateStore::open(&dir).unwrap();
        let stale = dir.join(".rooms.json.1.0.tmp");
        fs::write(&stale, b"{").unwrap();
        let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        let fresh = dir.join(".rooms.json.2.0.tmp");
        fs::write(&fresh, b"{").unwrap();
        fs::create_dir_all(dir.join(ROOMS)).unwrap();
        let stale_room = dir.join(ROOMS).join(".0123456789abcdef.json.1.0.tmp");
        fs::write(&stale_room, b"{").unwrap();
        File::options()
            .write(true)
            .open(&stale_room)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        StateStore::open(&dir).unwrap();
        assert!(
            !stale.exists() && !stale_room.exists(),
            "a minute old: its writer is gone"
        );
        assert!(fresh.exists(), "its writer may still be renaming it");
        drop(store);
    }

    #[tokio::test]
    async fn the_lock_is_exclusive_until_dropped() {
        let store = StateStore::open(temp_dir("lock")).unwrap();
        let held = store.lock("session", Duration::from_secs(1)).await.unwrap();
        let again = store.lock("session", Duration::from_millis(100)).await;
        assert!(matches!(again, Err(StoreError::LockTimeout { .. })));
        drop(held);
        store.lock("session", Duration::from_millis(100)).await.unwrap();
    }

    #[test]
    fn rooms_are_a_file_each_and_the_least_recently_written_leave_first() {
        let store = StateStore::open(temp_dir("rooms")).unwrap();
        for room in ["!a:x", "!b:x", "!c:x"] {
            store.write_room(room, &room.to_owned(), 2).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(store.read_room::<String>("!a:x"), None, "the oldest left");
        assert_eq!(store.read_room::<String>("!b:x").as_deref(), Some("!b:x"));
        assert_eq!(store.read_room::<String>("!c:x").as_deref(), Some("!c:x"));
        // Rewriting a cached room evicts nothing.
        store.write_room("!b:x", &"!b:x again".to_owned(), 2).unwrap();
        assert!(store.read_room::<String>("!c:x").is_some());
        let long = format!("!{}:example.org", "r".repeat(400));
        store.write_room(&long, &1, 10).unwrap();
        assert_eq!(
            store.read_room::<u32>(&long),
            Some(1),
            "ids longer than a file name"
        );
        store.clear_account_state().unwrap();
        assert_eq!(store.read_room::<String>("!b:x"), None);
    }
}
