//! The offline commands: push-rule evaluation and explanation on JSON files, and push payload
//! decoding.

use crate::args::Failure;
use matrix_push::payload::Provider;
use matrix_push::rules::Case;
use serde_json::{Value, json};
use std::io::{self, BufRead, BufReader, Read, Write};

/// `rules eval [FILE]`.
pub fn eval_command(file: Option<&str>) -> Result<(), Failure> {
    match file {
        None | Some("-") => eval(BufReader::new(io::stdin().lock())),
        Some(file) => open(file).and_then(|f| eval(BufReader::new(f))),
    }
    .map_err(Failure::Usage)
}

pub fn open(path: &str) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))
}

fn eval(input: impl BufRead) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for line in input.lines() {
        let line = line.map_err(|e| format!("cannot read input: {e}"))?;
        let result = match Case::from_json(&line) {
            Ok(case) => {
                let evaluation = case.evaluate();
                json!({
                    "id": case.id,
                    "actions": evaluation.actions,
                    "rule_id": evaluation.rule_id,
                    "kind": evaluation.kind,
                })
            }
            Err((id, error)) => json!({"id": id, "error": error}),
        };
        if writeln!(out, "{result}").is_err() {
            return Ok(()); // The reader went away (a closed pipe): stop quietly.
        }
    }
    out.flush().or(Ok(()))
}

/// `rules explain FILE [--id ID]`: the case's explanation, as text or JSON.
pub fn explain(path: &str, wanted_id: Option<&str>, as_json: bool) -> Result<(), Failure> {
    explain_case(path, wanted_id, as_json).map_err(Failure::Usage)
}

fn explain_case(path: &str, wanted_id: Option<&str>, as_json: bool) -> Result<(), String> {
    let mut text = String::new();
    open(path)?
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    let case = pick_case(&text, wanted_id)?;
    let explanation = case.compile().explain(&case.event, &case.context);
    let output = if as_json {
        let mut value = serde_json::to_value(&explanation).map_err(|e| e.to_string())?;
        value["id"] = case.id;
        value.to_string()
    } else {
        format!("case: {}\n{explanation}", case.id)
    };
    let _ = writeln!(io::stdout(), "{output}");
    Ok(())
}

/// The case to explain: the whole file as one JSON document, or one line of a JSON Lines file
/// (the one whose `id` is `wanted_id`, or the first).
fn pick_case(text: &str, wanted_id: Option<&str>) -> Result<Case, String> {
    let describe = |(id, error): (Value, String)| format!("case {id}: {error}");
    if wanted_id.is_none()
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        return Case::from_value(value).map_err(describe);
    }
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON line: {e}"))?;
        let matches = match wanted_id {
            None => true,
            Some(wanted) => value.get("id").is_some_and(|id| id_text(id) == wanted),
        };
        if matches {
            return Case::from_value(value).map_err(describe);
        }
    }
    Err(match wanted_id {
        Some(id) => format!("no case with id {id:?}"),
        None => "the file holds no case".into(),
    })
}

/// An id as a person types it: a string without quotes, anything else as JSON.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    }
}

/// `decode --provider P [FILE]`: one JSON object of what the phone reads from the payload.
pub fn decode(provider: Provider, file: Option<&str>) -> Result<(), Failure> {
    use matrix_push::payload::Priority;
    let payload = read_payload(provider, file).map_err(Failure::Usage)?;
    let output = json!({
        "event_id": payload.event_id,
        "room_id": payload.room_id,
        "unread": payload.unread,
        "missed_calls": payload.missed_calls,
        "prio": payload.prio.map(Priority::as_str),
        "badge_only": payload.badge_only,
        "type": payload.event_type,
        "sender": payload.sender,
        "sender_display_name": payload.sender_display_name,
        "room_name": payload.room_name,
        "body": payload.body,
        "extra": payload.extra,
    });
    let _ = writeln!(io::stdout(), "{output}");
    Ok(())
}

/// Reads and decodes one payload from FILE or stdin (`-` or none).
pub fn read_payload(
    provider: Provider,
    file: Option<&str>,
) -> Result<matrix_push::payload::PushPayload, String> {
    let mut bytes = Vec::new();
    match file {
        None | Some("-") => io::stdin().lock().read_to_end(&mut bytes),
        Some(path) => open(path)?.read_to_end(&mut bytes),
    }
    .map_err(|e| format!("cannot read the payload: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "the payload is not JSON: it is not UTF-8".to_owned())?;
    matrix_push::payload::decode_json(provider, &text).map_err(|e| e.to_string())
}
