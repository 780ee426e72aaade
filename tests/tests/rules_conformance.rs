//! The push-rule conformance corpus (`fixtures/pushrules/conformance.jsonl`): 1500 cases whose
//! expected actions come from Synapse's own evaluator, on cases where Synapse and the spec agree.
//! Run through the library and through the `matrix-push rules eval` command line.

use matrix_push::rules::Case;
use matrix_push_tests::{cli_binary, fixtures_dir};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

fn corpus() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures_dir().join("pushrules/conformance.jsonl")).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `kind/rule_id` as the corpus writes the rule that fired, or null.
fn rule_label(kind: &Value, rule_id: &Value) -> Value {
    match (kind.as_str(), rule_id.as_str()) {
        (Some(kind), Some(rule_id)) => json!(format!("{kind}/{rule_id}")),
        _ => Value::Null,
    }
}

#[test]
fn every_case_gives_synapses_actions_and_rule() {
    let cases = corpus();
    assert_eq!(cases.len(), 1500);
    let mut failures = Vec::new();
    for case in &cases {
        let parsed = Case::from_value(case.clone()).unwrap_or_else(|(id, e)| panic!("case {id}: {e}"));
        let result = parsed.evaluate();
        let from_text = parsed
            .compile()
            .evaluate_json(&case["event"].to_string(), &parsed.context)
            .unwrap();
        assert_eq!(
            from_text, result,
            "{}: JSON text and parsed event disagree",
            case["id"]
        );
        let actions = serde_json::to_value(&result.actions).unwrap();
        let rule = rule_label(&json!(result.kind), &json!(result.rule_id));
        let expected = &case["expected"];
        if actions != expected["actions"] || rule != expected["rule"] {
            failures.push(format!(
                "{}: got {actions} from {rule}, expected {} from {}",
                case["id"], expected["actions"], expected["rule"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_command_line_gives_the_same_answers_and_survives_bad_lines() {
    let cases = corpus();
    let mut input = String::new();
    for case in &cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    input.push_str("this is not json\n");
    input.push_str(
        "{\"id\": \"no-event\", \"rules\": {\"global\": {}}, \"context\": {\"user_id\": \"@a:b\"}}\n",
    );
    input.push_str("{\"id\": \"bad-rule\", \"rules\": {\"global\": {\"override\": [{\"rule_id\": \"x\"}]}}, \"event\": {}, \"context\": {\"user_id\": \"@a:b\"}}\n");
    let mut child = Command::new(cli_binary())
        .args(["rules", "eval"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (build it with `cargo build`)",
                cli_binary().display()
            )
        });
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len() + 3, "one output line per input line");
    for (case, line) in cases.iter().zip(&lines) {
        assert_eq!(line["id"], case["id"]);
        assert_eq!(line["actions"], case["expected"]["actions"], "{}", case["id"]);
        assert_eq!(
            rule_label(&line["kind"], &line["rule_id"]),
            case["expected"]["rule"],
            "{}",
            case["id"]
        );
    }
    let tail = &lines[cases.len()..];
    assert_eq!(tail[0]["id"], Value::Null);
    assert!(tail[0]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(tail[1]["id"], "no-event");
    assert!(tail[1]["error"].as_str().unwrap().contains("event"));
    assert_eq!(tail[2]["id"], "bad-rule");
    assert!(
        tail[2]["error"]
            .as_str()
            .unwrap()
            .contains("override rule \"x\": field `default`"),
        "{}",
        tail[2]
    );
}

#[test]
fn explain_names_the_deciding_rule_of_a_corpus_case() {
    let path = fixtures_dir().join("pushrules/conformance.jsonl");
    let case = &corpus()[4];
    let id = case["id"].as_str().unwrap();
    let run = |extra: &[&str]| {
        let output = Command::new(cli_binary())
            .args(["rules", "explain"])
            .arg(&path)
            .args(["--id", id])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&run(&["--json"])).unwrap();
    assert_eq!(json["id"], case["id"]);
    assert_eq!(json["evaluation"]["actions"], case["expected"]["actions"]);
    let winner: Vec<&Value> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["winner"] == true)
        .collect();
    let expected_rule = case["expected"]["rule"].as_str().unwrap();
    assert_eq!(winner.len(), 1);
    assert_eq!(
        format!(
            "{}/{}",
            winner[0]["kind"].as_str().unwrap(),
            winner[0]["rule_id"].as_str().unwrap()
        ),
        expected_rule
    );
    let text = run(&[]);
    assert!(text.contains("MATCHED (decides)"), "{text}");
}
