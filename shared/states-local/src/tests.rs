use super::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Tasks that record each call, fail the calls `fail` names (by the item) as often as asked,
/// and count how many ran at once.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Value>>,
    fail: Mutex<Vec<(Value, String)>>,
    running: AtomicUsize,
    most: AtomicUsize,
}

impl Tasks for Recorder {
    fn invoke<'a>(&'a self, resource: &'a str, input: Value) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            self.calls.lock().unwrap().push(json!({"resource": resource, "input": input.clone()}));
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            let mut fail = self.fail.lock().unwrap();
            if let Some(i) = fail.iter().position(|(item, _)| input.get("item").unwrap_or(&Value::Null) == item) {
                let (_, error) = fail.remove(i);
                return Err(Failure::new(error, "asked to fail"));
            }
            Ok(json!({"did": input}))
        }
        .boxed()
    }
}

const MACHINE: &str = r#"{
  "Comment": "stages in order, the units of a stage at once",
  "StartAt": "Stages",
  "States": {
    "Stages": {
      "Type": "Map", "ItemsPath": "$.stages", "MaxConcurrency": 1,
      "ItemSelector": {"units.$": "$$.Map.Item.Value", "workers.$": "$.workers"},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Units", "States": {
        "Units": {
          "Type": "Map", "ItemsPath": "$.units", "MaxConcurrencyPath": "$.workers",
          "ItemSelector": {"step": "unit", "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
          "ItemProcessor": {"StartAt": "Unit", "States": {
            "Unit": {"Type": "Task", "Resource": "${Fn}", "End": true,
              "Retry": [{"ErrorEquals": ["Unfinishable"], "MaxAttempts": 0},
                        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 0.01, "MaxAttempts": 2}]}
          }},
          "ResultPath": null, "End": true
        }
      }},
      "ResultPath": null,
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
      "Next": "Finish"
    },
    "Finish": {"Type": "Task", "Resource": "${Fn}", "Parameters": {"step": "finish"}, "ResultPath": "$.finished", "Next": "Done?"},
    "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.finished.did.step", "StringEquals": "finish", "Next": "Done"}], "Default": "Failed"},
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Task", "Resource": "${Fn}", "Parameters": {"step": "fail", "error.$": "$.error"}, "Next": "Fail"},
    "Fail": {"Type": "Fail", "Error": "JobFailed", "Cause": "a unit failed"}
  }
}"#;

fn input(workers: u64) -> Value {
    json!({"workers": workers, "stages": [["a1", "a2", "a3", "a4"], ["b1", "b2"]]})
}

fn steps(recorder: &Recorder) -> Vec<String> {
    let calls = recorder.calls.lock().unwrap();
    calls
        .iter()
        .map(|c| c["input"].get("item").or(c["input"].get("step")).unwrap().as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn stages_run_in_order_each_with_as_many_units_at_once_as_the_input_allows() {
    let machine = Machine::parse(MACHINE).unwrap();
    for (workers, most) in [(1, 1), (2, 2), (16, 4)] {
        let recorder = Recorder::default();
        let output = machine.run(input(workers), &recorder).await.unwrap();
        assert_eq!(output["finished"]["did"], json!({"step": "finish"}), "the finish task's result at its ResultPath");
        assert_eq!(output["stages"], input(workers)["stages"], "ResultPath null keeps the input");
        let steps = steps(&recorder);
        assert_eq!(steps.len(), 7);
        let first_b = steps.iter().position(|s| s.starts_with('b')).unwrap();
        assert!(steps[..first_b].iter().all(|s| s.starts_with('a')) && first_b == 4, "{steps:?}");
        assert_eq!(steps.last().unwrap(), "finish");
        assert_eq!(recorder.most.load(Ordering::SeqCst), most, "{workers} workers");
        let calls = recorder.calls.lock().unwrap();
        assert_eq!(calls[0]["resource"], "${Fn}", "the resource as written");
        let a3 = calls.iter().find(|c| c["input"]["item"] == "a3").unwrap();
        assert_eq!(a3["input"], json!({"step": "unit", "item": "a3", "index": 2}));
    }
}

#[tokio::test]
async fn a_failed_unit_is_retried_alone_and_an_unfinishable_one_is_caught_at_once() {
    let machine = Machine::parse(MACHINE).unwrap();
    let recorder = Recorder::default();
    recorder.fail.lock().unwrap().push((json!("a2"), "Lambda.Unknown".into()));
    machine.run(input(4), &recorder).await.unwrap();
    let steps = steps(&recorder);
    assert_eq!(steps.iter().filter(|s| *s == "a2").count(), 2, "{steps:?}");
    assert!(["a1", "a3", "a4", "b1", "b2"].iter().all(|u| steps.iter().filter(|s| s == u).count() == 1));

    let recorder = Recorder::default();
    recorder.fail.lock().unwrap().push((json!("b1"), "Unfinishable".into()));
    let failed = machine.run(input(4), &recorder).await.unwrap_err();
    assert_eq!(failed, Failure::new("JobFailed", "a unit failed"));
    let calls = recorder.calls.lock().unwrap();
    assert_eq!(calls.iter().filter(|c| c["input"]["item"] == "b1").count(), 1, "not retried");
    let failing = calls.last().unwrap();
    assert_eq!(failing["input"], json!({"step": "fail", "error": {"Error": "Unfinishable", "Cause": "asked to fail"}}));
}

#[tokio::test]
async fn retries_end_when_their_attempts_are_spent() {
    let machine = Machine::parse(MACHINE).unwrap();
    let recorder = Recorder::default();
    recorder.fail.lock().unwrap().extend((0..3).map(|_| (json!("a1"), "Lambda.Unknown".to_owned())));
    assert!(machine.run(input(1), &recorder).await.is_err());
    assert_eq!(steps(&recorder).iter().filter(|s| *s == "a1").count(), 3, "one try and two retries");
    assert!(!steps(&recorder).contains(&"b1".to_owned()), "the next stage never ran");
}

#[tokio::test]
async fn a_paced_machine_waits_its_retries_scaled() {
    let definition = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2}]}}}"#;
    for (pace, at_least, under) in [(1.0, 3.0, 4.0), (0.01, 0.0, 0.5)] {
        let recorder = Recorder::default();
        recorder.fail.lock().unwrap().extend((0..2).map(|_| (Value::Null, "Lambda.Unknown".to_owned())));
        let started = std::time::Instant::now();
        Machine::parse(definition).unwrap().paced(pace).run(json!({}), &recorder).await.unwrap();
        let waited = started.elapsed().as_secs_f64();
        assert!(waited >= at_least && waited < under, "pace {pace}: {waited} s for waits of 1 s and 2 s");
    }
}

#[test]
fn a_definition_using_what_the_runner_does_not_run_is_refused_by_name() {
    for (definition, named) in [
        (r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}"#, "Wait"),
        (
            r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "InputPath": "$.a", "End": true}}}"#,
            "InputPath",
        ),
        (r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "Next": "Nowhere"}}}"#, "Nowhere"),
        (r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x"}}}"#, "Next or End"),
        (r#"{"StartAt": "X", "States": {}}"#, "'X'"),
        (
            r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true}}}}}}"#,
            "Parallel",
        ),
    ] {
        let refused = Machine::parse(definition).unwrap_err().to_string();
        assert!(refused.contains(named), "{refused}");
    }
}

#[test]
fn the_provider_s_own_definitions_are_ones_it_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra");
    let mut read = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".asl.json") {
            Machine::parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            read += 1;
        }
    }
    assert!(read > 0, "no definition under infra/");
}
