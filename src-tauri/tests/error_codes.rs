//! The UI's advice table (`ui/js/api.js`, `const advice = {...}`) and the engine's error
//! codes (`tokenburn::error::Code`) name the same codes: a code without advice reaches people
//! as a bare message, and advice for a code that is gone is dead text.

use std::collections::BTreeSet;

use tokenburn::error::Code;

const API_JS: &str = include_str!("../../ui/js/api.js");

/// The keys of the `advice` object literal in `js`: one `key: "text",` per line.
fn advice_keys(js: &str) -> Vec<String> {
    let start = js.find("const advice = {").expect("api.js has `const advice = {`");
    let body = &js[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n};").expect("the advice table ends with `};`")];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            let (key, _) = l.split_once(':').unwrap_or_else(|| panic!("advice line without a key: {l:?}"));
            key.trim().trim_matches(['"', '\'']).to_string()
        })
        .collect()
}

/// What differs between the codes and the advice keys, in words; empty when they agree.
fn differences(codes: &[String], keys: &[String]) -> Vec<String> {
    let (codes, keyset): (BTreeSet<_>, BTreeSet<_>) = (codes.iter().collect(), keys.iter().collect());
    let mut out = Vec::new();
    let no_advice: Vec<_> = codes.difference(&keyset).collect();
    if !no_advice.is_empty() {
        out.push(format!("codes with no advice in ui/js/api.js: {no_advice:?}"));
    }
    let no_code: Vec<_> = keyset.difference(&codes).collect();
    if !no_code.is_empty() {
        out.push(format!("advice in ui/js/api.js for codes that do not exist: {no_code:?}"));
    }
    if keyset.len() != keys.len() {
        out.push(format!("advice keys repeated: {keys:?}"));
    }
    out
}

#[test]
fn every_code_has_advice_and_every_advice_a_code() {
    let codes: Vec<String> = Code::ALL.iter().map(|c| c.name()).collect();
    let keys = advice_keys(API_JS);
    assert!(keys.len() >= 10, "the advice table was not read: {keys:?}");
    let diff = differences(&codes, &keys);
    assert!(diff.is_empty(), "{}", diff.join("; "));
}

#[test]
fn the_check_names_what_is_missing_on_either_side() {
    let js = "const advice = {\n  ledger: \"a\",\n  // a comment\n  gone: \"b\",\n};\n";
    let keys = advice_keys(js);
    assert_eq!(keys, ["ledger", "gone"]);
    let diff = differences(&["ledger".into(), "io".into()], &keys);
    assert_eq!(
        diff,
        [
            "codes with no advice in ui/js/api.js: [\"io\"]",
            "advice in ui/js/api.js for codes that do not exist: [\"gone\"]"
        ]
    );
}
