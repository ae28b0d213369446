//! Node, the pinned Prism install, and the Prism process.

use anyhow::{bail, Context, Result};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The Prism release `tests/contract/package-lock.json` pins (later ones need Node 24).
pub const PRISM_VERSION: &str = "5.14.2";
/// The oldest Node that Prism 5.14.2 supports.
const NODE_MAJOR: u32 = 18;
/// How long Prism may take to load the spec and listen.
const STARTUP: Duration = Duration::from_secs(120);

const INSTALL_NODE: &str = "install Node.js 20 LTS, which comes with npm (https://nodejs.org/en/download), \
     and run `cargo xtask test` again";

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

/// The versions of `node` and `npm`; a clear error when either is missing or too old.
pub fn check_node() -> Result<(String, String)> {
    let version = |program: &str| -> Result<String> {
        let output = Command::new(program).arg("--version").output().with_context(|| {
            format!(
                "the contract tests run Stoplight Prism on Node.js, but `{program}` could not be run: {INSTALL_NODE}"
            )
        })?;
        if !output.status.success() {
            bail!("`{program} --version` failed ({}): {INSTALL_NODE}", output.status);
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let node = version("node")?;
    let major: u32 = node.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < NODE_MAJOR {
        bail!(
            "Node.js {node} is too old for Prism {PRISM_VERSION} (it needs {NODE_MAJOR}.20.1 or later): {INSTALL_NODE}"
        );
    }
    Ok((node, version(npm())?))
}

/// Installs the locked packages of `dir` with `npm ci` when `node_modules` is missing, older
/// than `package-lock.json`, or holds another Prism version.
pub fn install(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let fresh = match (modified(&installed), modified(&lock)) {
        (Some(installed), Some(lock)) => installed >= lock && installed_version(dir).as_deref() == Some(PRISM_VERSION),
        _ => false,
    };
    if fresh {
        println!("contract: Prism {PRISM_VERSION} is installed in {}", dir.display());
        return Ok(());
    }
    println!("contract: npm ci in {} (Prism {PRISM_VERSION}, as package-lock.json pins it)", dir.display());
    let status = Command::new(npm())
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(dir)
        .status()
        .with_context(|| format!("running npm: {INSTALL_NODE}"))?;
    if !status.success() {
        bail!("`npm ci` in {} failed ({status})", dir.display());
    }
    match installed_version(dir) {
        Some(version) if version == PRISM_VERSION => Ok(()),
        other => bail!("npm installed Prism {other:?}, not {PRISM_VERSION}: check tests/contract/package-lock.json"),
    }
}

fn installed_version(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("node_modules/@stoplight/prism-cli/package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest.get("version")?.as_str().map(str::to_owned)
}

/// A running `prism mock`, stopped when dropped (also on an error or a panic).
pub struct Prism {
    child: Child,
    /// Never written: when this end closes, `prism.js` exits, even if xtask was killed.
    stdin: Option<ChildStdin>,
    readers: Vec<JoinHandle<()>>,
    /// Where Prism listens, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

impl Prism {
    /// Starts `node tests/contract/prism.js mock <spec> --errors <extra>` on a free loopback
    /// port and waits until it says it is listening. Its output goes to `log`.
    pub fn start(dir: &Path, spec: &Path, log: &Path, extra: &[&str]) -> Result<Self> {
        let mut last_error = None;
        for _attempt in 0..3 {
            match Self::start_once(dir, spec, log, extra) {
                Ok(prism) => return Ok(prism),
                // Another process may take the free port between our check and Prism's bind.
                Err(error) if format!("{error:#}").contains("EADDRINUSE") => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("Prism did not start")))
    }

    fn start_once(dir: &Path, spec: &Path, log: &Path, extra: &[&str]) -> Result<Self> {
        let port = free_port()?;
        if let Some(parent) = log.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = Arc::new(Mutex::new(File::create(log).with_context(|| format!("creating {}", log.display()))?));
        let mut child = Command::new("node")
            .arg("prism.js")
            .arg("mock")
            .arg(spec)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--errors"])
            .args(extra)
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting Prism with node: {INSTALL_NODE}"))?;
        let (listening, started) = mpsc::channel();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(copy_lines(stdout, Arc::clone(&file), Some(listening)));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(copy_lines(stderr, Arc::clone(&file), None));
        }
        let stdin = child.stdin.take();
        let mut prism = Prism { child, stdin, readers, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + STARTUP;
        loop {
            match started.recv_timeout(Duration::from_millis(200)) {
                Ok(()) => return Ok(prism),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    prism.stop();
                    bail!("Prism stopped before listening; its output:\n{}", tail(log, 30));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                    prism.stop();
                    bail!("Prism did not listen within {STARTUP:?}; its output:\n{}", tail(log, 30));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Stops Prism and waits until all its output is in the log.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copies `from` to `log` line by line; signals `listening` once Prism says it listens.
fn copy_lines(
    from: impl Read + Send + 'static,
    log: Arc<Mutex<File>>,
    listening: Option<mpsc::Sender<()>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut line = Vec::new();
        let mut listening = listening;
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&line);
            if let Ok(mut file) = log.lock() {
                let _ = file.write_all(text.as_bytes());
                let _ = file.flush();
            }
            if text.contains("Prism is listening on") {
                if let Some(sender) = listening.take() {
                    let _ = sender.send(());
                }
            }
            line.clear();
        }
    })
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// The last `lines` lines of a file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
