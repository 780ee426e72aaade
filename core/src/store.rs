//! The small on-disk state the push path needs without the app running — synced push rules, the
//! `/sync` token — and the cross-process lock that the app and its extension share.
//!
//! Every write goes to a temporary file that is flushed and renamed over the old one, so a reader
//! (or a crash) sees the old state or the new, never half of one. A missing or corrupt file reads
//! as "nothing stored" (a corrupt one is logged and set aside), never as an error that would stop
//! a push from being shown.

use crate::rules::PushRules;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why the state could not be written or locked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the store folder {path}: {message}")]
    Io { path: String, message: String },
    #[error("another process holds the {name} lock for more than {waited:?}")]
    LockTimeout { name: String, waited: Duration },
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

const PUSH_RULES: &str = "push_rules.json";
const SYNC_TOKEN: &str = "sync_token.json";

impl StateStore {
    /// Opens (and creates) the folder.
    pub fn open(dir: impl Into<PathBuf>) -> Result<StateStore, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        Ok(StateStore { dir })
    }

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

    fn write_with<T: Serialize>(
        &self,
        name: &str,
        value: &T,
        durable: bool,
        private: bool,
    ) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        // One temporary file per write: concurrent writers (threads or processes) never share one.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let write_id = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temporary = self
            .dir
            .join(format!(".{name}.{}.{write_id}.tmp", std::process::id()));
        let bytes = serde_json::to_vec(value).map_err(|e| io_error(&path, e))?;
        let write = || -> std::io::Result<()> {
            let mut options = OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            if private {
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(&bytes)?;
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
            .write(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(StoreError::LockTimeout {
                        name: name.to_owned(),
                        waited: timeout,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&path, e)),
            }
        }
    }

    /// The last synced push rules.
    pub fn push_rules(&self) -> Option<PushRules> {
        let value: Value = self.read(PUSH_RULES)?;
        match PushRules::from_value(&value) {
            Ok(rules) => Some(rules),
            Err(e) => {
                tracing::warn!("stored push rules do not parse: {e}");
                None
            }
        }
    }

    pub fn save_push_rules(&self, rules: &PushRules) -> Result<(), StoreError> {
        self.write(PUSH_RULES, &rules.to_value())
    }

    /// Forgets the stored rules (the next reader fetches them).
    pub fn remove_push_rules(&self) -> Result<(), StoreError> {
        self.remove(PUSH_RULES)
    }

    /// The `next_batch` token of the last push-rule sync.
    pub fn sync_token(&self) -> Option<String> {
        self.read(SYNC_TOKEN)
    }

    pub fn save_sync_token(&self, token: &str) -> Result<(), StoreError> {
        self.write(SYNC_TOKEN, &token)
    }

    /// Forgets everything tied to an account (after logout).
    pub fn clear_account_state(&self) -> Result<(), StoreError> {
        self.remove(PUSH_RULES)?;
        self.remove(SYNC_TOKEN)
    }
}

/// A held cross-process lock.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("matrix-push-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn documents_round_trip_and_corruption_reads_as_nothing() {
        let store = StateStore::open(temp_dir("docs")).unwrap();
        assert_eq!(store.sync_token(), None);
        store.save_sync_token("s72594_4483_1934").unwrap();
        assert_eq!(store.sync_token().as_deref(), Some("s72594_4483_1934"));
        fs::write(store.dir().join(SYNC_TOKEN), b"{not json").unwrap();
        assert_eq!(store.sync_token(), None);
        assert!(store.dir().join("sync_token.json.corrupt").exists());
        let rules = PushRules::from_json(r#"{"global": {"override": []}}"#).unwrap();
        store.save_push_rules(&rules).unwrap();
        assert_eq!(store.push_rules(), Some(rules));
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
    async fn the_lock_is_exclusive_until_dropped() {
        let store = StateStore::open(temp_dir("lock")).unwrap();
        let held = store.lock("session", Duration::from_secs(1)).await.unwrap();
        let again = store.lock("session", Duration::from_millis(100)).await;
        assert!(matches!(again, Err(StoreError::LockTimeout { .. })));
        drop(held);
        store.lock("session", Duration::from_millis(100)).await.unwrap();
    }
}
