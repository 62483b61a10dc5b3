//! A local runner of Amazon States Language definitions: the subset the provider's state
//! machines use, so that the local stack and the tests run the very definition file Step
//! Functions runs in AWS (Step Functions Local is not in the package registries, and moto's
//! state machines need Docker to run Lambda tasks).
//!
//! What it runs, as the [States Language](https://states-language.net/spec.html) says:
//! - `Task`: `Resource` (handed to [`Tasks::invoke`] as written), `Parameters`, `ResultPath`,
//!   `Retry` (`ErrorEquals`, `IntervalSeconds`, `MaxAttempts`, `BackoffRate`, `MaxDelaySeconds`)
//!   and `Catch` (`ErrorEquals`, `ResultPath`, `Next`);
//! - `Map`: `ItemsPath`, `ItemSelector` (with `$$.Map.Item.Value` and `$$.Map.Item.Index`),
//!   `MaxConcurrency` or `MaxConcurrencyPath` (0: all at once), `ItemProcessor` (its
//!   `ProcessorConfig` mode `INLINE` or `DISTRIBUTED` alike), `ResultPath`, `Retry`, `Catch`;
//!   an iteration that fails fails the map, as in Step Functions;
//! - `Choice` (`Variable` with `BooleanEquals` or `StringEquals`, `Default`), `Succeed`, `Fail`;
//! - paths `$`, `$.a.b` and the context object's `$$.Map.Item.*`; error names matched exactly,
//!   `States.ALL` matching every one and `States.TaskFailed` every task's.
//!
//! Every other field is refused when the definition is read ([`Machine::parse`]), naming it, so
//! that a definition this runner would misread is never run.

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde_json::{Map, Value};
use std::time::Duration;

/// A task's failure, as a Lambda function reports one: an error name (what `Retry` and `Catch`
/// match) and its cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct Failure {
    /// The error's name (`errorType` of a Lambda function's error).
    pub error: String,
    /// What happened.
    pub cause: String,
}

impl Failure {
    /// A failure named `error`.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self { error: error.into(), cause: cause.into() }
    }
}

/// The definition could not be run: it uses what this runner does not, or is malformed.
#[derive(Debug, thiserror::Error)]
#[error("the state machine definition cannot be run locally: {0}")]
pub struct Unsupported(String);

/// What runs a `Task` state's work: the local stand-in for the Lambda functions its
/// `Resource` names.
pub trait Tasks: Sync {
    /// Runs the task of `resource` on `input`, answering its output or its failure.
    fn invoke<'a>(&'a self, resource: &'a str, input: Value) -> BoxFuture<'a, Result<Value, Failure>>;
}

/// A state machine definition, checked to hold only what this runner runs.
#[derive(Debug, Clone)]
pub struct Machine {
    start: String,
    states: Map<String, Value>,
    /// What each `Retry` wait is multiplied by: 1, as Step Functions waits.
    pace: f64,
}

/// The context object's part a state sees (`$$`): the map item it runs for, if any.
#[derive(Debug, Clone, Default)]
struct Context {
    item: Option<(usize, Value)>,
}

impl Machine {
    /// Reads a definition (the JSON of an `.asl.json` file, `${…}` substitutions left as
    /// they are), refusing what this runner does not run.
    pub fn parse(definition: &str) -> Result<Self, Unsupported> {
        let value: Value = serde_json::from_str(definition).map_err(|e| Unsupported(e.to_string()))?;
        Self::of(&value, "the definition")
    }

    fn of(value: &Value, at: &str) -> Result<Self, Unsupported> {
        let object = value.as_object().ok_or_else(|| Unsupported(format!("{at} is not an object")))?;
        allow(object, &["Comment", "StartAt", "States", "ProcessorConfig"], at)?;
        let start = text(object, "StartAt", at)?;
        let states = object
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| Unsupported(format!("{at} has no States")))?
            .clone();
        if !states.contains_key(&start) {
            return Err(Unsupported(format!("{at} starts at '{start}', which it does not define")));
        }
        for (name, state) in &states {
            check_state(name, state, &states)?;
        }
        Ok(Self { start, states, pace: 1.0 })
    }

    /// The machine with every `Retry` wait multiplied by `pace` (at least 0): 1 waits as the
    /// definition says, as Step Functions does; a test whose failures are instant (a store that
    /// is gone) need not wait as long for a real service to recover.
    pub fn paced(mut self, pace: f64) -> Self {
        self.pace = pace.max(0.0);
        self
    }

    /// Runs the machine on `input` with `tasks` doing its tasks: its output, or the failure
    /// that ended it.
    pub async fn run(&self, input: Value, tasks: &dyn Tasks) -> Result<Value, Failure> {
        self.run_in(input, Context::default(), tasks).await
    }

    fn run_in<'a>(
        &'a self,
        input: Value,
        context: Context,
        tasks: &'a dyn Tasks,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            let (mut name, mut data) = (self.start.clone(), input);
            loop {
                let state = self.states[&name].as_object().expect("checked by parse");
                let kind = state["Type"].as_str().unwrap_or_default();
                tracing::debug!(state = %name, kind, "state entered");
                let outcome = match kind {
                    "Succeed" => return Ok(data),
                    "Fail" => {
                        let field = |f: &str| state.get(f).and_then(Value::as_str).unwrap_or_default().to_owned();
                        return Err(Failure::new(field("Error"), field("Cause")));
                    }
                    "Choice" => {
                        name = choose(state, &data);
                        continue;
                    }
                    "Task" => self.with_retries(state, || task(state, &data, &context, tasks)).await,
                    _ => self.with_retries(state, || self.map(state, &data, tasks)).await,
                };
                let (next, output) = match outcome {
                    Ok(result) => (state.get("Next"), place(state.get("ResultPath"), &data, result)),
                    Err(failure) => match caught(state, &failure) {
                        Some(catcher) => {
                            let error = serde_json::json!({"Error": failure.error, "Cause": failure.cause});
                            (catcher.get("Next"), place(catcher.get("ResultPath"), &data, error))
                        }
                        None => return Err(failure),
                    },
                };
                match next.and_then(Value::as_str) {
                    Some(next) => (name, data) = (next.to_owned(), output),
                    None => return Ok(output),
                }
            }
        }
        .boxed()
    }

    /// Runs `attempt` as the state's `Retry` says: again after a matched failure, waiting
    /// longer each time, until its attempts are spent.
    async fn with_retries<'a, F, Fut>(&self, state: &Map<String, Value>, mut attempt: F) -> Result<Value, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Value, Failure>> + 'a,
    {
        let retriers = state.get("Retry").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut tries = vec![0u64; retriers.len()];
        loop {
            let failure = match attempt().await {
                Ok(output) => return Ok(output),
                Err(failure) => failure,
            };
            let Some(i) = retriers.iter().position(|r| matches(r, &failure.error)) else { return Err(failure) };
            let retrier = &retriers[i];
            let number = |f: &str, default: f64| retrier.get(f).and_then(Value::as_f64).unwrap_or(default);
            if tries[i] >= number("MaxAttempts", 3.0) as u64 {
                return Err(failure);
            }
            let mut wait = number("IntervalSeconds", 1.0) * number("BackoffRate", 2.0).powi(tries[i] as i32);
            if let Some(max) = retrier.get("MaxDelaySeconds").and_then(Value::as_f64) {
                wait = wait.min(max);
            }
            tries[i] += 1;
            tracing::info!(error = %failure.error, attempt = tries[i], wait_s = wait, "state retried");
            tokio::time::sleep(Duration::from_secs_f64((wait * self.pace).max(0.0))).await;
        }
    }

    /// A `Map` state: its iterator run over the items, as many at once as it allows; their
    /// outputs in the items' order.
    async fn map(&self, state: &Map<String, Value>, data: &Value, tasks: &dyn Tasks) -> Result<Value, Failure> {
        let processor = state.get("ItemProcessor").or_else(|| state.get("Iterator")).expect("checked by parse");
        let machine = Machine::of(processor, "a map's processor").map_err(|e| Failure::new("States.Runtime", e.0))?;
        let machine = machine.paced(self.pace);
        let items_path = state.get("ItemsPath").and_then(Value::as_str).unwrap_or("$");
        let items = path(items_path, data, &Context::default())
            .and_then(|v| v.as_array().cloned())
            .ok_or_else(|| Failure::new("States.Runtime", format!("{items_path} is not an array")))?;
        let concurrency = match state.get("MaxConcurrencyPath").and_then(Value::as_str) {
            Some(p) => path(p, data, &Context::default()).and_then(|v| v.as_u64()),
            None => state.get("MaxConcurrency").and_then(Value::as_u64),
        };
        let concurrency = match concurrency.unwrap_or(0) {
            0 => items.len().max(1),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let iterations = items.into_iter().enumerate().map(|(index, item)| {
            let context = Context { item: Some((index, item.clone())) };
            let input = match state.get("ItemSelector").or_else(|| state.get("Parameters")) {
                Some(selector) => evaluate(selector, data, &context),
                None => item,
            };
            let machine = &machine;
            async move { machine.run_in(input, context, tasks).await }
        });
        let mut outputs = futures::stream::iter(iterations).buffered(concurrency);
        let mut results = Vec::new();
        while let Some(output) = outputs.next().await {
            results.push(output?);
        }
        Ok(Value::Array(results))
    }
}

/// A `Task` state: its parameters evaluated and handed to the task.
async fn task(
    state: &Map<String, Value>,
    data: &Value,
    context: &Context,
    tasks: &dyn Tasks,
) -> Result<Value, Failure> {
    let resource = state.get("Resource").and_then(Value::as_str).unwrap_or_default();
    let input = state.get("Parameters").map_or_else(|| data.clone(), |p| evaluate(p, data, context));
    tasks.invoke(resource, input).await
}

/// The next state of a `Choice`: the first rule that holds, or the default.
fn choose(state: &Map<String, Value>, data: &Value) -> String {
    let holds = |rule: &Value| {
        let value = rule.get("Variable").and_then(Value::as_str).and_then(|p| path(p, data, &Context::default()));
        match (rule.get("BooleanEquals"), rule.get("StringEquals")) {
            (Some(expected), _) | (None, Some(expected)) => value.as_ref() == Some(expected),
            (None, None) => false,
        }
    };
    let choices = state.get("Choices").and_then(Value::as_array).into_iter().flatten();
    let chosen = choices.into_iter().find(|rule| holds(rule)).and_then(|rule| rule.get("Next"));
    chosen.or_else(|| state.get("Default")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Whether a retrier or catcher matches the error `name`.
fn matches(rule: &Value, name: &str) -> bool {
    let names = rule.get("ErrorEquals").and_then(Value::as_array).into_iter().flatten();
    names
        .filter_map(Value::as_str)
        .any(|e| e == name || e == "States.ALL" || (e == "States.TaskFailed" && !name.starts_with("States.")))
}

/// The state's catcher that takes `failure`, if one does.
fn caught<'s>(state: &'s Map<String, Value>, failure: &Failure) -> Option<&'s Value> {
    state.get("Catch").and_then(Value::as_array)?.iter().find(|c| matches(c, &failure.error))
}

/// The state's output: `result` put into `data` where `ResultPath` says (`null`: left out;
/// absent or `$`: the result itself).
fn place(result_path: Option<&Value>, data: &Value, result: Value) -> Value {
    let at = match result_path {
        Some(Value::Null) => return data.clone(),
        Some(Value::String(at)) => at.as_str(),
        _ => "$",
    };
    let mut output = data.clone();
    let mut slot = &mut output;
    for field in at.trim_start_matches('$').split('.').filter(|f| !f.is_empty()) {
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot = slot.as_object_mut().expect("made an object").entry(field).or_insert(Value::Null);
    }
    *slot = result;
    output
}

/// A payload template (`Parameters`, `ItemSelector`) evaluated: each field ending `.$` takes
/// the value its path names.
fn evaluate(template: &Value, data: &Value, context: &Context) -> Value {
    match template {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| match name.strip_suffix(".$") {
                    Some(name) => {
                        let at = value.as_str().unwrap_or_default();
                        (name.to_owned(), path(at, data, context).unwrap_or(Value::Null))
                    }
                    None => (name.clone(), evaluate(value, data, context)),
                })
                .collect(),
        ),
        Value::Array(values) => Value::Array(values.iter().map(|v| evaluate(v, data, context)).collect()),
        other => other.clone(),
    }
}

/// The value a path names: `$`, `$.a.b` in `data`, `$$.Map.Item.Value` or `.Index`.
fn path(at: &str, data: &Value, context: &Context) -> Option<Value> {
    if let Some(field) = at.strip_prefix("$$.Map.Item.") {
        let (index, value) = context.item.as_ref()?;
        return match field {
            "Value" => Some(value.clone()),
            "Index" => Some(Value::from(*index)),
            _ => None,
        };
    }
    let mut value = data;
    for field in at.strip_prefix('$')?.split('.').filter(|f| !f.is_empty()) {
        value = value.get(field)?;
    }
    Some(value.clone())
}

/// Checks one state: a type this runner runs, only the fields it reads, transitions to states
/// that exist, paths it resolves.
fn check_state(name: &str, state: &Value, states: &Map<String, Value>) -> Result<(), Unsupported> {
    let at = format!("state '{name}'");
    let object = state.as_object().ok_or_else(|| Unsupported(format!("{at} is not an object")))?;
    let kind = text(object, "Type", &at)?;
    let common = ["Type", "Comment", "Next", "End"];
    let own: &[&str] = match kind.as_str() {
        "Task" => &["Resource", "Parameters", "ResultPath", "Retry", "Catch"],
        "Map" => &[
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ItemProcessor",
            "Iterator",
            "ResultPath",
            "Retry",
            "Catch",
        ],
        "Choice" => &["Choices", "Default"],
        "Succeed" => &[],
        "Fail" => &["Error", "Cause"],
        other => return Err(Unsupported(format!("{at} is a {other}, which this runner does not run"))),
    };
    allow(object, &[&common[..], own].concat(), &at)?;
    let exists = |next: &Value| next.as_str().is_some_and(|n| states.contains_key(n));
    let mut targets: Vec<&Value> = object.get("Next").into_iter().chain(object.get("Default")).collect();
    for rule in object.get("Choices").and_then(Value::as_array).into_iter().flatten() {
        allow(rule.as_object().unwrap_or(&Map::new()), &["Variable", "BooleanEquals", "StringEquals", "Next"], &at)?;
        targets.extend(rule.get("Next"));
    }
    for catcher in object.get("Catch").and_then(Value::as_array).into_iter().flatten() {
        allow(catcher.as_object().unwrap_or(&Map::new()), &["ErrorEquals", "ResultPath", "Next"], &at)?;
        targets.extend(catcher.get("Next"));
    }
    for retrier in object.get("Retry").and_then(Value::as_array).into_iter().flatten() {
        let fields = ["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "Comment"];
        allow(retrier.as_object().unwrap_or(&Map::new()), &fields, &at)?;
    }
    if let Some(bad) = targets.into_iter().find(|t| !exists(t)) {
        return Err(Unsupported(format!("{at} goes to {bad}, which the machine does not define")));
    }
    let ends = object.get("End").and_then(Value::as_bool) == Some(true);
    let terminal = matches!(kind.as_str(), "Succeed" | "Fail" | "Choice");
    if !terminal && ends == object.contains_key("Next") {
        return Err(Unsupported(format!("{at} must have either Next or End")));
    }
    if let Some(processor) = object.get("ItemProcessor").or_else(|| object.get("Iterator")) {
        Machine::of(processor, &format!("{at}'s processor"))?;
    } else if kind == "Map" {
        return Err(Unsupported(format!("{at} has no ItemProcessor")));
    }
    Ok(())
}

/// Refuses a field of `object` not in `fields`.
fn allow(object: &Map<String, Value>, fields: &[&str], at: &str) -> Result<(), Unsupported> {
    match object.keys().find(|k| !fields.contains(&k.as_str())) {
        Some(field) => Err(Unsupported(format!("{at} has '{field}', which this runner does not run"))),
        None => Ok(()),
    }
}

fn text(object: &Map<String, Value>, field: &str, at: &str) -> Result<String, Unsupported> {
    object
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Unsupported(format!("{at} has no {field}")))
}

#[cfg(test)]
mod tests;
