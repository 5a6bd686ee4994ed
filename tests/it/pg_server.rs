//! A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` on a temp dir, listening on a
//! free port of 127.0.0.1 (its unix socket in the temp dir), password authentication on TCP,
//! stopped (`pg_ctl stop -m immediate`) when dropped.
//!
//! The binaries are Debian's `postgresql` package's (`/usr/lib/postgresql/*/bin`, the newest
//! version) or on PATH; `.ci/run` installs the package when it is missing. `initdb` refuses to
//! run as root, so when the tests run as root the server runs as the `postgres` user the
//! package creates (the temp dir handed to it). Starting one costs about 1.5 s (initdb) on a
//! loaded 2-core machine, so each test gets its own server rather than sharing state.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser's password: planted so that tests can scan every output for it.
pub const PASSWORD: &str = "pgPl4nted-s3cret-0x5eed";
/// The superuser's name.
pub const USER: &str = "reckon_it";

/// A running server; dropping it stops it.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

impl PgServer {
    /// Initialises and starts a fresh server.
    pub fn start() -> Self {
        let bin = binaries();
        let dir = tempfile::tempdir().expect("tempdir");
        let run_as_postgres = running_as_root();
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("pwfile");
        if run_as_postgres {
            hand_to_postgres(dir.path());
            hand_to_postgres(&pwfile);
        }
        let server = Self {
            port: free_port(),
            dir,
            bin,
            run_as_postgres,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data().display().to_string(),
                "-U",
                USER,
                "--pwfile",
                &pwfile.display().to_string(),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        server.pg_ctl_start();
        server
    }

    /// `postgres://USER:PASSWORD@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server at once (as a crash would: `-m immediate`).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts it again on the same data and port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// Runs `sql` (one or more statements) as the superuser and returns the first column of
    /// each row of the last one, as text.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let url = self.url();
        let sql = sql.to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the test server");
                tokio::spawn(connection);
                let messages = client.simple_query(&sql).await.expect("query");
                let mut rows = Vec::new();
                for message in messages {
                    match message {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            rows.push(row.get(0).unwrap_or("NULL").to_owned());
                        }
                        tokio_postgres::SimpleQueryMessage::CommandComplete(_) => {}
                        _ => {}
                    }
                }
                rows
            })
        })
        .join()
        .expect("query thread")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-o",
                &options,
                "-l",
                &self.dir.path().join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed:\n{}\n{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let _ = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The folder holding initdb and pg_ctl: the newest `/usr/lib/postgresql/N/bin`, or PATH's.
fn binaries() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
        .expect(
            "PostgreSQL's initdb and pg_ctl are needed (Debian: apt-get install postgresql; \
             .ci/run installs it)",
        )
}

fn running_as_root() -> bool {
    // `id -u` rather than libc: the tests use no unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn hand_to_postgres(path: &Path) {
    let status = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown postgres {}", path.display());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
