//! The fuzz harness catches every way a case can fail: cases made to panic, to overflow their
//! stack (which aborts the process running them) and to hang are each reported against the
//! right case, the run goes on after them and fails, and the failing cases are saved.

use std::path::PathBuf;
use std::process::Command;

fn fuzz(fault: &str, save_dir: &PathBuf, extra: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["fuzz", "--cases", "8", "--seed", "5", "--timeout", "10", "--inject", fault, "--save-dir"])
        .arg(save_dir)
        .args(extra)
        .output()
        .expect("xtask runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn save_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fuzz-harness-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_panic_and_a_stack_overflow_are_caught_reported_and_saved() {
    for (fault, tag) in [("panic", "bad"), ("overflow", "crash")] {
        let dir = save_dir(fault);
        let (ok, output) = fuzz(fault, &dir, &[]);
        assert!(!ok, "the run fails:\n{output}");
        // Cases 2 and 7 of 0..8 are made to fail; the other six run as usual.
        assert!(output.contains("fuzz: 8 cases in"), "every case ran, after the failures too:\n{output}");
        assert!(output.contains(&format!("FAILED case #2 ({tag})")), "{output}");
        assert!(output.contains(&format!("FAILED case #7 ({tag})")), "{output}");
        assert!(output.contains("2 of 8 cases failed"), "{output}");
        if fault == "panic" {
            assert!(output.contains("injected panic"), "the panic's message is reported:\n{output}");
        } else {
            assert!(
                output.contains("has overflowed its stack / fatal runtime error: stack overflow"),
                "the abort is explained:\n{output}"
            );
        }
        let mut saved: Vec<String> = std::fs::read_dir(&dir)
            .expect("the failing cases are saved")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        saved.sort();
        // Both fail the same way, so one is kept.
        assert_eq!(saved.len(), 1, "{saved:?}");
        assert!(saved[0].starts_with("seed5-case2."), "{saved:?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_hang_is_stopped_after_the_timeout() {
    let dir = save_dir("hang");
    let started = std::time::Instant::now();
    let (ok, output) = fuzz("hang", &dir, &["--no-save"]);
    assert!(!ok, "{output}");
    assert!(output.contains("FAILED case #2 (hang): still running after 10.0 s"), "{output}");
    assert!(output.contains("FAILED case #7 (hang)"), "{output}");
    assert!(output.contains("fuzz: 8 cases in"), "{output}");
    assert!(started.elapsed().as_secs() < 120, "two hangs of 10 s each, and six ordinary cases");
    assert!(!dir.exists(), "--no-save saves nothing");
}
