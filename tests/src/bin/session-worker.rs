//! A second process for the cross-process refresh test: restores the session saved in the
//! keyring, makes one authenticated request and prints `ok <refreshes made by this process>`.
//!
//! Usage: session-worker HOMESERVER_URL STORE_DIR KEYRING_SERVICE KEYRING_ACCOUNT

use matrix_push::Client;
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [homeserver, store_dir, service, account] = args.as_slice() else {
        eprintln!("usage: session-worker HOMESERVER_URL STORE_DIR KEYRING_SERVICE KEYRING_ACCOUNT");
        std::process::exit(2);
    };
    let store = Arc::new(matrix_push::session::KeyringSessionStore::new(service, account));
    let client = Client::builder(homeserver.parse().unwrap())
        .store_dir(store_dir)
        .session_store(store)
        .build()
        .unwrap();
    client.restore_session().unwrap().expect("a saved session");
    match client.whoami().await {
        Ok(_) => println!("ok {}", client.session_client().refresh_count()),
        Err(e) => {
            println!("error {e}");
            std::process::exit(1);
        }
    }
}
