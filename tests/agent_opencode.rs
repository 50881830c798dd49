//! opencode end to end: the real `opencode.db` (copied, never opened in place) and the real
//! legacy `storage/message` files give the agent-logs README's canonical per-UTC-day totals;
//! the fixture's traps count once, a message held by both layouts included; the agent's
//! folder is byte-identical after an import; bad input is reported with its position.

mod common;
#[path = "common/live_db.rs"]
mod live_db;

use common::*;
use live_db::Day;

fn day(d: &str, input: i64, read: i64, write: i64, output: i64, reasoning: i64, total: i64) -> Day {
    (d.to_string(), input, read, write, output, reasoning, total)
}

fn report(env: &Env) -> Vec<Day> {
    live_db::days(&env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "opencode"]))
}

#[test]
fn real_database_and_legacy_files_match_the_canonical_days() {
    let Some(data) = shared_data() else { return };
    let env = Env::new();
    let root = data.join("agent-logs/opencode");
    let folder = env.dir.path().join("opencode");
    let db = live_db::copy_real(&root.join("stunning-memory-suhd550-dev/opencode.db"), &folder);
    let before = live_db::contents(&folder);
    let legacy = root.join("local-opencode-theoneand33/storage/message");
    let args = ["import", db.to_str().unwrap(), legacy.to_str().unwrap()];
    let first = env.json(&args);
    // 27 assistant messages in the database (one without tokens) and 6 in the legacy files.
    assert_eq!(first["added"], 26 + 6, "{first}");
    // The README's table.
    let want = [
        day("2025-09-07", 17_475, 152_937, 0, 1_123, 268, 171_535),
        day("2026-07-30", 5_387, 622_720, 0, 4_814, 0, 632_921),
    ];
    assert_eq!(report(&env), want);
    let again = env.json(&args);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(report(&env), want);
    assert!(live_db::contents(&folder) == before, "the agent's folder changed");
}

#[test]
fn fixture_traps_count_once_across_both_layouts() {
    let env = Env::new();
    let folder = env.dir.path().join("opencode");
    let sql = std::fs::read_to_string(fixtures().join("sql/opencode.sql")).unwrap();
    let db = live_db::build(&sql, &folder, "opencode.db");
    let before = live_db::contents(&folder);
    let legacy = fixture("opencode/storage/message");
    let want = [
        // Legacy msg_v065 (input includes the cache: 24,716 - 24,576; reasoning apart from
        // output) and msg_both, which the database holds too, at 22:30 UTC.
        day("2025-09-07", 340, 25_576, 0, 294, 152, 26_210),
        // msg_o2 (input excludes the cache) and msg_o3, only in the WAL; the session row's
        // tokens_* and the step-finish part are not added.
        day("2026-07-30", 32, 20_580, 50, 84, 4, 20_746),
    ];
    // Either order: the message both layouts hold is one event.
    for order in [[db.to_str().unwrap(), legacy.as_str()], [legacy.as_str(), db.to_str().unwrap()]] {
        let env = Env::new();
        let first = env.json(&["import", order[0], order[1]]);
        assert_eq!(first["added"], 4, "{first}");
        assert_eq!(report(&env), want, "{order:?}");
        let again = env.json(&["import", order[0], order[1]]);
        assert_eq!(again["added"], 0, "{again}");
        let updated: i64 = again["files"].as_array().unwrap().iter().map(|f| f["updated"].as_i64().unwrap()).sum();
        assert_eq!(updated, 0, "{again}");
        assert_eq!(report(&env), want);
    }
    assert!(live_db::contents(&folder) == before, "the agent's folder changed");
    drop(env);
}

#[test]
fn a_legacy_message_whose_input_lacks_its_cache_is_rejected_as_record_1() {
    let env = Env::new();
    let bad = fixture("opencode/bad/storage/message/ses_bad/msg_bad.json");
    let out = env.json(&["import", &bad]);
    let f = &out["files"][0];
    assert_eq!(f["format"], "opencode", "{f}");
    assert_eq!(f["added"], 0, "{f}");
    assert_eq!(f["rejected"][0]["record"], 1, "{f}");
    assert!(f["rejected"][0]["reason"].as_str().unwrap().contains("tokens.cache.read 500"), "{f}");
}

#[test]
fn a_legacy_file_that_is_not_json_fails_naming_the_file() {
    let env = Env::new();
    let dir = env.dir.path().join("storage/message/ses_x");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("msg_x.json");
    std::fs::write(&path, "{\"id\":\"msg_x\",\"role\":\"assistant\",\"sessionID\":\"ses_x\",").unwrap();
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&*path.to_string_lossy()), "{err}");
}
