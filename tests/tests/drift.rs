//! The committed `generated-client/` is exactly what the generator makes from `spec/phasetwo.yaml`
//! now, and a change to the spec shows up as drift.

use xtask::codegen::{plan, CodegenArgs};
use xtask::files::drift;

#[test]
fn committed_crates_match_the_generator() {
    for preset in xtask::codegen::PRESETS {
        let plan = plan(&preset.args(true)).expect("the committed crate's spec generates");
        let drift = drift(&plan.out, &plan.files).expect("the committed files can be read");
        assert!(drift.is_empty(), "{} is stale; run `cargo xtask codegen`:\n{}", preset.out, drift.summary());
    }
}

#[test]
fn a_new_field_in_the_spec_is_reported_as_drift() {
    let root = xtask::workspace_root();
    let spec = std::fs::read_to_string(root.join("spec/phasetwo.yaml")).expect("spec");
    let schema = spec.find("    MagicLinkRepresentation:\n").expect("the spec defines MagicLinkRepresentation");
    let properties = "      properties:\n";
    let at =
        schema + spec[schema..].find(properties).expect("MagicLinkRepresentation has properties") + properties.len();
    let edited = format!("{}        locale:\n          type: string\n{}", &spec[..at], &spec[at..]);
    let dir = std::env::temp_dir().join(format!("drift-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let edited_spec = dir.join("phasetwo.yaml");
    std::fs::write(&edited_spec, edited).expect("write edited spec");

    let args = CodegenArgs {
        spec: Some(edited_spec),
        out: Some(root.join("generated-client")),
        tags: vec!["users".to_owned()],
        crate_name: Some("phasetwo-client".to_owned()),
        check: true,
        force: false,
        kept: Vec::new(),
    };
    let plan = plan(&args).expect("the edited spec generates");
    let drift = drift(&plan.out, &plan.files).expect("the committed files can be read");
    let models = drift.changed.iter().find(|(path, _)| path.ends_with("src/models.rs")).map(|(_, diff)| diff.as_str());
    assert!(
        models.is_some_and(|diff| diff.contains("+    pub locale: Option<String>,")),
        "models.rs should gain the field:\n{}",
        drift.summary()
    );
    let _ = std::fs::remove_dir_all(dir);
}
