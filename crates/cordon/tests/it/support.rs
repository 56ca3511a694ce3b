use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const PASSWORD: &str = "test-password-42";

/// The binary, with the tests' key file (see [`key_file`]).
pub fn cordon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cordon"));
    c.env("CORDON_KEYS", key_file());
    c
}

/// One key file for every database these tests make, so a test can open the store the server
/// wrote (`connect`). A PostgreSQL database needs one named; the default beside a SQLite file
/// is tested on its own.
pub fn key_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let path = dir.join("test.keys");
        std::fs::write(&path, cordon_store::Keyring::generate().to_text()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    })
}

/// The store of a database the tests' server wrote.
pub async fn connect(url: &str) -> std::sync::Arc<dyn cordon_store::Store> {
    let keys = cordon_store::Keyring::parse(&std::fs::read_to_string(key_file()).unwrap()).unwrap();
    cordon_store::connect(url, keys).await.unwrap()
}

/// A fresh database: a SQLite file in a temporary folder, or a new PostgreSQL database.
pub struct Db {
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Db {
    /// The database at `url`, with a folder that goes with it (removed when it is dropped).
    pub fn at(url: String, dir: tempfile::TempDir) -> Db {
        Db { url, _dir: dir }
    }
}

pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db { url: format!("sqlite://{}", dir.path().join("t.db").display()), _dir: dir }
}

pub fn postgres() -> Option<Db> {
    let Ok(server) = std::env::var("CORDON_TEST_PG") else {
        assert!(std::env::var("CI").is_err(), "CI must set CORDON_TEST_PG");
        return None;
    };
    let name = format!("cordon_it_{}", rand::random::<u64>());
    // Through the store's own maker, on a thread of its own (the tests call this from inside
    // their runtime): on a Citus coordinator it makes the database the cluster's.
    let (at, made) = (server.clone(), name.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { cordon_store::PgAdmin::connect(&at).await?.create_database(&made).await })
    })
    .join()
    .unwrap()
    .unwrap();
    Some(Db { url: format!("{}/{name}", server.trim_end_matches('/')), _dir: tempfile::tempdir().unwrap() })
}

/// Everything a database holds, as bytes: the SQLite file and its journal, or a dump.
pub fn database_bytes(url: &str) -> Vec<u8> {
    match url.strip_prefix("sqlite://") {
        Some(file) => {
            [std::fs::read(file).unwrap(), std::fs::read(format!("{file}-wal")).unwrap_or_default()].concat()
        }
        None => {
            let out = Command::new("pg_dump").arg(url).output().expect("pg_dump");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }
    }
}

pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A running server on a seeded tiny demo city. Killed on drop.
pub struct Server {
    pub base: String,
    child: Child,
    pub db: Db,
    /// What the server has written to standard error so far.
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tiny demo with today's story only (the tests of each part count what it seeds).
pub fn demo(db: Db) -> Server {
    demo_with(db, &["--history-days", "0"])
}

/// The tiny demo served with these further options of `cordon demo`.
pub fn demo_with(db: Db, extra: &[&str]) -> Server {
    let mut child = cordon()
        .args([
            "demo",
            "--scale",
            "tiny",
            "--listen",
            "127.0.0.1:0",
            "--admin-password",
            PASSWORD,
            "--db",
            &db.url,
        ])
        .args(extra)
        .env("CORDON_LOG", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines.next().expect("the server exits before serving").unwrap();
        if let Some(rest) = line.strip_prefix("Cordon is serving on ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    // Keep draining the server's log so it never blocks on a full pipe, and keep it: tests read
    // what the server wrote (no ID number may be in it).
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = kept.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    Server { base, child, db, log }
}

impl Server {
    /// The server's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `within` for the server to exit; its exit status.
    pub fn wait_exit(&mut self, within: std::time::Duration) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < within, "the server did not stop within {within:?}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Kills the server outright (SIGKILL: no shutdown, no flush) and starts it again on the same
    /// database, as an operator restarting after a crash would.
    pub fn crash_and_restart(mut self) -> Server {
        let db = std::mem::replace(&mut self.db, sqlite());
        drop(self);
        demo(db)
    }
}

pub fn client() -> reqwest::Client {
    builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A client's builder for the test server's plain HTTP: the process's TLS provider installed,
/// and no system roots read for each client (the tests' TLS checks name their own).
pub fn builder() -> reqwest::ClientBuilder {
    cordon_server::install_tls();
    reqwest::Client::builder().tls_certs_only([])
}

impl Server {
    /// A browser-like client signed in to the web pages as `username`.
    /// The sign-in form's token, read from the form as a browser would (it sets its cookie).
    pub async fn login_csrf(&self, c: &reqwest::Client) -> String {
        let page = c.get(format!("{}/login", self.base)).send().await.unwrap().text().await.unwrap();
        let mark = "name=\"csrf\" value=\"";
        let at = page.find(mark).expect("the sign-in form with its token") + mark.len();
        page[at..at + 32].to_owned()
    }

    pub async fn web_login(&self, username: &str) -> reqwest::Client {
        let c = client();
        let csrf = self.login_csrf(&c).await;
        let r = c
            .post(format!("{}/login", self.base))
            .form(&[("username", username), ("password", PASSWORD), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "web login of {username}");
        c
    }

    /// The CSRF token a signed-in web client's forms carry, read from a page as a browser would.
    pub async fn csrf(&self, c: &reqwest::Client) -> String {
        let page = c.get(format!("{}/people", self.base)).send().await.unwrap().text().await.unwrap();
        let mark = "name=\"csrf\" value=\"";
        let at = page.find(mark).expect("a form with its token") + mark.len();
        page[at..at + 32].to_owned()
    }

    pub async fn login(&self, username: &str) -> String {
        let r = client()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login of {username}");
        r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// Waits until a background job (as /metrics names it) has run once, so that a test comparing
    /// figures the job changes does not compare one taken before its run with one taken after.
    /// `token` is headquarters'.
    pub async fn job_ran(&self, token: &str, job: &str) {
        let series = format!("cordon_job_runs_total{{job=\"{job}\",outcome=\"ok\"}}");
        for _ in 0..600 {
            let r = client().get(format!("{}/metrics", self.base)).bearer_auth(token).send().await.unwrap();
            assert_eq!(r.status(), 200, "/metrics");
            if r.text().await.unwrap().contains(&series) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the background job {job} did not run within a minute");
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = client().get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

impl Server {
    /// Any method with an optional JSON body; the status and the JSON answer (Null if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = client().request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// Runs each named test (an `async fn(&Server)` of the calling module) against a fresh demo on
/// SQLite and, when `CORDON_TEST_PG` is set, on PostgreSQL.
/// `cordon import people` of this CSV into the server's database: whether it landed, and what
/// the importer wrote to standard error.
pub fn import_people(s: &Server, csv: &str) -> (bool, String) {
    import_file(s, "people", csv)
}

/// `cordon import KIND` of this CSV (named `KIND.csv`) into the server's database: whether it
/// landed, and what the importer wrote to standard error.
pub fn import_file(s: &Server, kind: &str, csv: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{kind}.csv"));
    std::fs::write(&file, csv).unwrap();
    let out = cordon()
        .args(["import", kind])
        .arg(&file)
        .args(["--db", &s.db.url])
        .env("CORDON_LOG", "info,sqlx=warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The first household of an area, walking down the tree, and its people's register ids.
pub async fn first_household(s: &Server, token: &str, area: &str) -> (String, Vec<String>) {
    let mut code = area.to_owned();
    loop {
        let (status, a) = s.get(token, &format!("/api/v1/areas/{code}")).await;
        assert_eq!(status, 200, "{a}");
        if a["area"]["level"] == "household" {
            break;
        }
        code = a["children"][0]["code"].as_str().expect("an area with children").to_owned();
    }
    let (_, found) = s.get(token, &format!("/api/v1/people?household={code}")).await;
    let people =
        found["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap().to_owned());
    (code, people.collect())
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { let s = $crate::support::demo($crate::support::sqlite()); super::$name(&s).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(db) = $crate::support::postgres() { let s = $crate::support::demo(db); super::$name(&s).await; }
            })*
        }
    };
}
pub(crate) use on_both_backends;

/// `path` with every parameter named `1`: a refusal by the table comes before any look-up.
pub fn any_object(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').unwrap();
        out.push_str(&rest[..open]);
        out.push('1');
        rest = &rest[close + 1..];
    }
    out + rest
}
