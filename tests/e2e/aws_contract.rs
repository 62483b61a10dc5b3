//! What the upload path relies on AWS to do, checked in the SAM template because the local
//! stack cannot show it. Locally `functions/local` polls the queue itself: it deletes a message
//! only when `ingest::handle_message` accepts it, and has no event source mapping, visibility
//! timeout, redrive or alarm. In AWS each of those is a template setting, and a missing one
//! loses uploads silently (issue 23: without `ReportBatchItemFailures` Lambda deleted the
//! messages `handle_batch` asked to be delivered again). Each rule below returns its problems
//! as sentences, and a test breaks the template text to show that the rule notices.

use ingest::event::UPLOAD_SUFFIXES;
use yaml_serde::Value;

/// The deployed template, as the tests in `infra.rs` read it.
const TEMPLATE: &str = include_str!("../../infra/template.yaml");

/// The template's logical id of the function that runs `ingest::handle_batch` (the one name
/// this module takes as given; every other resource is found by following references).
const INGEST_FUNCTION: &str = "IngestFunction";

/// What a rule found wrong, one sentence each; empty when the template keeps the rule.
type Problems = Vec<String>;

/// What `!Ref Name` or `!GetAtt Name.Attribute` (short or long form) points at: the logical
/// id and, for `GetAtt`, the attribute. yaml_serde reads a short-form tag as `Value::Tagged`
/// (tag `!GetAtt`, value the string `Name.Attribute` or the list `[Name, Attribute]`), and
/// `Value::as_str` looks through tags, so the tag itself must be matched: otherwise the plain
/// string `UploadQueue.Arn` would pass for a reference.
fn reference(value: &Value) -> Option<(&str, Option<&str>)> {
    let (function, argument) = match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => ("Ref", &tagged.value),
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => ("Fn::GetAtt", &tagged.value),
        Value::Mapping(long) if long.len() == 1 => long.iter().next().and_then(|(k, v)| Some((k.as_str()?, v)))?,
        _ => return None,
    };
    match (function, argument) {
        ("Ref", Value::String(id)) => Some((id, None)),
        ("Fn::GetAtt", Value::String(dotted)) => dotted.split_once('.').map(|(id, attribute)| (id, Some(attribute))),
        ("Fn::GetAtt", Value::Sequence(parts)) => match parts.as_slice() {
            [Value::String(id), Value::String(attribute)] => Some((id, Some(attribute))),
            _ => None,
        },
        _ => None,
    }
}

/// The parsed template, with the look-ups the rules share.
struct Template(Value);

impl Template {
    /// Parses the template text (the real one or a broken copy).
    fn parse(text: &str) -> Self {
        Self(yaml_serde::from_str(text).expect("the template is YAML"))
    }

    /// The resource with this logical id, if it has this type.
    fn resource(&self, id: &str, kind: &str) -> Option<&Value> {
        let resource = &self.0["Resources"][id];
        (resource["Type"].as_str() == Some(kind)).then_some(resource)
    }

    /// Every resource of this type, with its logical id.
    fn resources(&self, kind: &'static str) -> impl Iterator<Item = (&str, &Value)> {
        let all = self.0["Resources"].as_mapping().into_iter().flatten();
        all.filter(move |(_, r)| r["Type"].as_str() == Some(kind)).filter_map(|(id, r)| Some((id.as_str()?, r)))
    }

    /// The ingest function's SQS events (name, `Properties`): how Lambda calls `handle_batch`.
    fn ingest_events(&self) -> Vec<(&str, &Value)> {
        self.function_events(INGEST_FUNCTION, "SQS")
    }

    /// A function's events of one `Type` (`SQS`, `DynamoDB`), as (name, `Properties`).
    fn function_events(&self, id: &str, kind: &str) -> Vec<(&str, &Value)> {
        let function = self.resource(id, "AWS::Serverless::Function").unwrap_or(&Value::Null);
        let events = function["Properties"]["Events"].as_mapping().into_iter().flatten();
        events
            .filter(|(_, e)| e["Type"].as_str() == Some(kind))
            .filter_map(|(n, e)| Some((n.as_str()?, &e["Properties"])))
            .collect()
    }

    /// The queue an SQS event polls, found by following its `Queue: !GetAtt <Queue>.Arn`.
    fn polled_queue<'a>(&'a self, event: &str, properties: &'a Value) -> Result<(&'a str, &'a Value), String> {
        match reference(&properties["Queue"]) {
            Some((id, Some("Arn"))) => self.resource(id, "AWS::SQS::Queue").map(|queue| (id, queue)).ok_or_else(|| {
                format!("the SQS event {event} polls {id}, which is no AWS::SQS::Queue of the template")
            }),
            _ => Err(format!("the SQS event {event} names its queue other than by !GetAtt <Queue>.Arn")),
        }
    }

    /// The ingest function's `Timeout` in seconds.
    fn ingest_timeout(&self) -> Result<u64, String> {
        self.timeout(INGEST_FUNCTION)
    }

    /// A function's `Timeout` in seconds: its own, else the `Globals`', else SAM's 3.
    fn timeout(&self, id: &str) -> Result<u64, String> {
        let own = &self.resource(id, "AWS::Serverless::Function").unwrap_or(&Value::Null)["Properties"];
        let timeout = [&own["Timeout"], &self.0["Globals"]["Function"]["Timeout"]].into_iter().find(|t| !t.is_null());
        timeout.map_or(Ok(3), |t| t.as_u64().ok_or_else(|| format!("{id}'s Timeout is not a number")))
    }
}

/// Runs `check` on each of the ingest function's SQS events; having none is itself a problem.
fn per_event(template: &Template, check: impl Fn(&str, &Value) -> Problems) -> Problems {
    let events = template.ingest_events();
    if events.is_empty() {
        return vec![format!("{INGEST_FUNCTION} has no SQS event: no upload reaches handle_batch")];
    }
    events.into_iter().flat_map(|(event, properties)| check(event, properties)).collect()
}

/// Whether an event source sets `FunctionResponseTypes: [ReportBatchItemFailures]`.
fn reports_batch_item_failures(properties: &Value) -> bool {
    let types = properties["FunctionResponseTypes"].as_sequence().into_iter().flatten();
    types.filter_map(Value::as_str).any(|t| t == "ReportBatchItemFailures")
}

/// A queue property in seconds, or SQS's default when the template leaves it out.
fn seconds(queue: &Value, property: &str, default: u64) -> Result<u64, String> {
    let value = &queue["Properties"][property];
    if value.is_null() {
        return Ok(default);
    }
    value.as_u64().ok_or_else(|| format!("the {property} {value:?} is not a number of seconds"))
}

/// Rule 1: `handle_batch` answers a busy tenant or a throttled store with
/// `SqsBatchResponse.batch_item_failures`; Lambda reads that answer only when the event sets
/// `FunctionResponseTypes: [ReportBatchItemFailures]`, and otherwise counts the invocation as a
/// success and deletes every message of the batch, the failed ones too.
fn batch_item_failures_are_reported(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        if reports_batch_item_failures(properties) {
            return Vec::new();
        }
        vec![format!(
            "the SQS event {event} does not set FunctionResponseTypes: [ReportBatchItemFailures], so Lambda \
             ignores handle_batch's batchItemFailures and deletes the messages it asked to be delivered again"
        )]
    })
}

/// Rule 2: AWS refuses an SQS event source whose queue's `VisibilityTimeout` is below the
/// function's `Timeout` (else a message would come back while its job still runs), and
/// recommends six times the timeout, so that a batch Lambda retries after throttling (the
/// function's reserved concurrency is small) is not handed to a second invocation meanwhile;
/// the template meets six times, so that is what is checked.
fn visibility_timeout_covers_the_function_timeout(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        let (id, queue) = match template.polled_queue(event, properties) {
            Ok(queue) => queue,
            Err(problem) => return vec![problem],
        };
        let (timeout, visibility) = match (template.ingest_timeout(), seconds(queue, "VisibilityTimeout", 30)) {
            (Ok(timeout), Ok(visibility)) => (timeout, visibility),
            (Err(problem), _) | (_, Err(problem)) => return vec![format!("{id}: {problem}")],
        };
        if visibility < timeout {
            vec![format!(
                "{id}'s VisibilityTimeout {visibility} s is below {INGEST_FUNCTION}'s Timeout {timeout} s: \
                 AWS refuses the event source mapping"
            )]
        } else if visibility < 6 * timeout {
            vec![format!(
                "{id}'s VisibilityTimeout {visibility} s is below six times {INGEST_FUNCTION}'s Timeout \
                 {timeout} s, as AWS recommends"
            )]
        } else {
            Vec::new()
        }
    })
}

/// Rule 3: one message per invocation. `handle_batch` would answer a batch of several
/// correctly (a failure per message id), but it runs their jobs one after another within one
/// invocation's `Timeout`, which one district's package may need whole; a timeout fails the
/// whole batch (the finished jobs' messages too) and counts a receive against each, so that a
/// package that never failed can reach the dead-letter queue. The code relies on `BatchSize: 1`.
fn one_upload_per_invocation(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        // SAM's default batch size for SQS is 10.
        match properties["BatchSize"].as_u64() {
            Some(1) => Vec::new(),
            size => vec![format!(
                "the SQS event {event} has BatchSize {}: several uploads would share one invocation's Timeout",
                size.map_or_else(|| "10 (the default)".to_owned(), |s| s.to_string())
            )],
        }
    })
}

/// Rule 3b: the ingest's own clocks and counts fit the template's. The tenant lock's lease
/// (`oneroster_ingest::job::LOCK_LEASE`) must outlast the function's `Timeout`, or a redelivery could
/// take the lock of a job that still runs; and a job is failed after its runs kept stopping
/// (`INGEST_MAX_ATTEMPTS`, default `DEFAULT_MAX_ATTEMPTS`) before SQS dead-letters its message
/// (`maxReceiveCount`), or the upload would end in the dead-letter queue with its job "running".
fn the_ingest_gives_up_before_sqs_does(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        let mut problems = Problems::new();
        match template.ingest_timeout() {
            Ok(timeout) if timeout > oneroster_ingest::job::LOCK_LEASE.as_secs() => problems.push(format!(
                "{INGEST_FUNCTION}'s Timeout {timeout} s outlasts the ingest lock's lease of {} s",
                oneroster_ingest::job::LOCK_LEASE.as_secs()
            )),
            Ok(_) => {}
            Err(problem) => problems.push(problem),
        }
        let (id, queue) = match template.polled_queue(event, properties) {
            Ok(queue) => queue,
            Err(problem) => return vec![problem],
        };
        let function = template.resource(INGEST_FUNCTION, "AWS::Serverless::Function").unwrap_or(&Value::Null);
        let set = &function["Properties"]["Environment"]["Variables"]["INGEST_MAX_ATTEMPTS"];
        let attempts = set
            .as_u64()
            .or_else(|| set.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(u64::from(oneroster_ingest::settings::DEFAULT_MAX_ATTEMPTS));
        match queue["Properties"]["RedrivePolicy"]["maxReceiveCount"].as_u64() {
            Some(receives) if attempts >= receives => problems.push(format!(
                "{id} dead-letters a message after {receives} receives, but a job is failed only after {attempts} runs"
            )),
            _ => {}
        }
        problems
    })
}

/// Rule 4: an upload that keeps failing must end where someone sees it: the upload queue
/// redrives to a dead-letter queue of the template after `maxReceiveCount` receives (at least
/// two: `RetryLater` means "deliver again"), before the queue's retention deletes it, into a
/// queue that keeps it longer than the upload queue would have (a standard queue's message keeps
/// its first enqueue time when redriven); and an alarm with actions watches that queue.
fn failed_uploads_reach_an_alarmed_dead_letter_queue(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        let (id, queue) = match template.polled_queue(event, properties) {
            Ok(queue) => queue,
            Err(problem) => return vec![problem],
        };
        let redrive = &queue["Properties"]["RedrivePolicy"];
        if redrive.is_null() {
            return vec![format!("{id} has no RedrivePolicy: an upload that keeps failing expires unseen")];
        }
        let target = reference(&redrive["deadLetterTargetArn"])
            .filter(|&(dlq, attribute)| dlq != id && attribute == Some("Arn"));
        let Some((dlq, dead_letter_queue)) =
            target.and_then(|(dlq, _)| Some((dlq, template.resource(dlq, "AWS::SQS::Queue")?)))
        else {
            let problem = "deadLetterTargetArn is not !GetAtt <Queue>.Arn of another queue of the template";
            return vec![format!("{id}'s {problem}")];
        };
        let mut problems = Vec::new();
        match redrive["maxReceiveCount"].as_u64() {
            Some(count) if count >= 2 => {
                match (seconds(queue, "VisibilityTimeout", 30), seconds(queue, "MessageRetentionPeriod", 345_600)) {
                    (Ok(visibility), Ok(retention)) if count * visibility >= retention => problems.push(format!(
                        "{id} keeps a message {retention} s, no longer than its {count} receives × {visibility} s: \
                         it expires before it reaches {dlq}"
                    )),
                    (Err(problem), _) | (_, Err(problem)) => problems.push(format!("{id}: {problem}")),
                    _ => {}
                }
            }
            Some(count) => problems.push(format!(
                "{id}'s maxReceiveCount is {count}: a busy tenant's upload goes to {dlq} without a retry"
            )),
            None => problems.push(format!("{id}'s RedrivePolicy has no maxReceiveCount")),
        }
        match (
            seconds(queue, "MessageRetentionPeriod", 345_600),
            seconds(dead_letter_queue, "MessageRetentionPeriod", 345_600),
        ) {
            (Ok(kept), Ok(dead_kept)) if dead_kept <= kept => problems.push(format!(
                "{dlq} keeps messages {dead_kept} s, not longer than {id}'s {kept} s: a redriven upload keeps its \
                 first enqueue time and may expire from {dlq} at once"
            )),
            (Err(problem), _) | (_, Err(problem)) => problems.push(format!("{dlq}: {problem}")),
            _ => {}
        }
        problems.extend(dead_letter_alarm(template, dlq));
        problems
    })
}

/// Whether an alarm watches the dead-letter queue `dlq` and tells someone: `AWS/SQS`, the
/// single dimension `QueueName: !GetAtt <dlq>.QueueName` (the only one SQS publishes), a metric
/// of what the queue holds (`NumberOfMessagesSent` does not count redriven messages), and
/// `AlarmActions`. Empty if one alarm does all that, else what is wrong with each candidate.
fn dead_letter_alarm(template: &Template, dlq: &str) -> Problems {
    let watches = |alarm: &Value| {
        let dimensions = alarm["Properties"]["Dimensions"].as_sequence().into_iter().flatten();
        dimensions
            .filter(|d| d["Name"].as_str() == Some("QueueName"))
            .any(|d| reference(&d["Value"]) == Some((dlq, Some("QueueName"))))
    };
    let mut problems = Vec::new();
    for (id, alarm) in template.resources("AWS::CloudWatch::Alarm").filter(|(_, a)| watches(a)) {
        let properties = &alarm["Properties"];
        let mut wrong = Vec::new();
        if properties["Namespace"].as_str() != Some("AWS/SQS") {
            wrong.push("its Namespace is not AWS/SQS");
        }
        if properties["Dimensions"].as_sequence().map(Vec::len) != Some(1) {
            wrong.push("it has dimensions besides QueueName, which SQS metrics never carry");
        }
        let held = ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"];
        if !held.iter().any(|m| properties["MetricName"].as_str() == Some(m)) {
            wrong.push("its metric is not one of what the queue holds (redriven messages are not 'sent')");
        }
        if properties["AlarmActions"].as_sequence().is_none_or(Vec::is_empty) {
            wrong.push("it has no AlarmActions, so nobody is told");
        }
        if wrong.is_empty() {
            return Vec::new();
        }
        problems.push(format!("the alarm {id} watches {dlq} but {}", wrong.join(", ")));
    }
    if problems.is_empty() {
        problems.push(format!("no CloudWatch alarm has the dimension QueueName: !GetAtt {dlq}.QueueName"));
    }
    problems
}

/// Rule 5: S3 notifies the upload queue of created objects, and only of keys with the endings
/// the ingest takes (`ingest::event::UPLOAD_SUFFIXES`), every one of them: the filter matches
/// case and all, so an ending the ingest takes but no filter names would be dropped in AWS
/// alone; and the ingest writes each report (`<upload>.report.json`) into the same bucket,
/// whose every notification would otherwise cost an invocation.
fn only_zip_uploads_notify_the_upload_queue(template: &Template) -> Problems {
    per_event(template, |event, properties| {
        let id = match template.polled_queue(event, properties) {
            Ok((id, _)) => id,
            Err(problem) => return vec![problem],
        };
        let mut problems = Vec::new();
        let mut notified = Vec::new();
        for (bucket, resource) in template.resources("AWS::S3::Bucket") {
            let configurations = &resource["Properties"]["NotificationConfiguration"]["QueueConfigurations"];
            for configuration in configurations.as_sequence().into_iter().flatten() {
                if reference(&configuration["Queue"]) != Some((id, Some("Arn"))) {
                    continue;
                }
                let kind = configuration["Event"].as_str().unwrap_or_default();
                if !kind.starts_with("s3:ObjectCreated:") {
                    problems.push(format!("{bucket} notifies {id} of {kind:?}, which is not an upload"));
                }
                let mut rules = configuration["Filter"]["S3Key"]["Rules"].as_sequence().into_iter().flatten();
                let suffix = rules.find_map(|r| {
                    r["Name"].as_str().filter(|n| n.eq_ignore_ascii_case("suffix")).and(r["Value"].as_str())
                });
                match suffix {
                    Some(suffix) if UPLOAD_SUFFIXES.contains(&suffix) => notified.push(suffix),
                    _ => problems.push(format!(
                        "{bucket} notifies {id} of keys not filtered to a suffix of the uploads ({UPLOAD_SUFFIXES:?})"
                    )),
                }
            }
        }
        if notified.is_empty() {
            problems.push(format!("no bucket's QueueConfigurations send uploads to {id}, the queue {event} polls"));
        }
        for suffix in UPLOAD_SUFFIXES.iter().filter(|s| !notified.is_empty() && !notified.contains(s)) {
            problems.push(format!("the ingest takes keys ending {suffix}, but no notification sends them to {id}"));
        }
        problems
    })
}

/// The template's parameter that sets how many steps of an apply run at once.
const WORKERS_PARAMETER: &str = "IngestWorkers";

/// Rule 7: the apply of a valid job runs as the ingest's code expects (`oneroster_ingest::fanout`).
/// The ingest function is told the ARN of a state machine of the template and may start its
/// executions. That state machine's definition is the very file the code reads
/// (`infra/ingest-apply.asl.json`, `fanout::DEFINITION`), with every `${…}` of it substituted
/// by a function's ARN. Each such function outlives none of its steps' renewals of the tenant
/// lock (a step renews it once, as it begins, so its `Timeout` must stay within
/// `LOCK_LEASE`), and may run as many steps at once as the most workers the parameter allows
/// (a Map's iterations beyond its reserved concurrency would be throttled and retried until the
/// job fails). The most workers stay within the record shards (more would add no units) and an
/// inline Map's 40 concurrent iterations.
fn the_apply_runs_as_the_code_expects(template: &Template) -> Problems {
    let mut problems = Problems::new();
    let function = template.resource(INGEST_FUNCTION, "AWS::Serverless::Function").unwrap_or(&Value::Null);
    let arn = &function["Properties"]["Environment"]["Variables"]["INGEST_STATE_MACHINE_ARN"];
    let machine = reference(arn)
        .filter(|(_, attribute)| attribute.is_none())
        .and_then(|(id, _)| Some((id, template.resource(id, "AWS::Serverless::StateMachine")?)));
    let Some((machine_id, machine)) = machine else {
        return vec![format!(
            "{INGEST_FUNCTION}'s INGEST_STATE_MACHINE_ARN is not !Ref of a state machine of the template: \
             valid jobs would be applied within the function's 15 minutes"
        )];
    };
    let statements = function["Properties"]["Policies"].as_sequence().into_iter().flatten();
    let statements = statements.flat_map(|p| p["Statement"].as_sequence().into_iter().flatten());
    let starts = statements.filter(|s| s["Effect"].as_str() == Some("Allow")).any(|s| {
        let actions = [&s["Action"]].into_iter().chain(s["Action"].as_sequence().into_iter().flatten());
        actions.filter_map(Value::as_str).any(|a| a == "states:StartExecution")
            && reference(&s["Resource"]) == Some((machine_id, None))
    });
    if !starts {
        problems.push(format!("{INGEST_FUNCTION} may not states:StartExecution {machine_id}"));
    }
    let uri = machine["Properties"]["DefinitionUri"].as_str().unwrap_or_default();
    let read = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra").join(uri));
    if read.ok().as_deref() != Some(oneroster_ingest::fanout::DEFINITION) {
        problems.push(format!(
            "{machine_id}'s DefinitionUri '{uri}' is not infra/ingest-apply.asl.json, the definition the code runs locally"
        ));
    }
    let substitutions = &machine["Properties"]["DefinitionSubstitutions"];
    let definition = oneroster_ingest::fanout::DEFINITION;
    let placeholders: std::collections::BTreeSet<&str> =
        definition.split("${").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
    let workers = &template.0["Parameters"][WORKERS_PARAMETER];
    let most = workers["MaxValue"].as_u64().unwrap_or(u64::MAX);
    if workers["Type"].as_str() != Some("Number") || most > oneroster_store::keys::RECORD_SHARDS || most > 40 {
        problems.push(format!(
            "{WORKERS_PARAMETER} must be a Number of at most {} (the record shards) and 40 (an inline Map's \
             concurrent iterations)",
            oneroster_store::keys::RECORD_SHARDS
        ));
    }
    for placeholder in placeholders {
        let Some((id, Some("Arn"))) = reference(&substitutions[placeholder]) else {
            problems
                .push(format!("{machine_id} substitutes no function's !GetAtt <Function>.Arn for ${{{placeholder}}}"));
            continue;
        };
        if template.resource(id, "AWS::Serverless::Function").is_none() {
            problems.push(format!("${{{placeholder}}} of {machine_id} is {id}, no function of the template"));
            continue;
        }
        let lease = oneroster_ingest::job::LOCK_LEASE.as_secs();
        match template.timeout(id) {
            Ok(timeout) if timeout > lease => {
                problems.push(format!("{id}'s Timeout {timeout} s outlasts the ingest lock's lease of {lease} s"))
            }
            Ok(_) => {}
            Err(problem) => problems.push(problem),
        }
        let reserved = &template.0["Resources"][id]["Properties"]["ReservedConcurrentExecutions"];
        if reserved.as_u64().is_some_and(|reserved| reserved < most) {
            problems.push(format!(
                "{id} may run {} steps at once, fewer than the {most} workers {WORKERS_PARAMETER} allows",
                reserved.as_u64().unwrap_or_default()
            ));
        }
    }
    problems
}

/// The template's logical id of the function that writes CSV exports into the upload bucket.
const EXPORT_FUNCTION: &str = "ExportFunction";

/// Rule 6: the export function puts objects only in the tenants' exports and outbox folders
/// (`<tenant>/exports/…`, `<tenant>/outbox/…`: `oneroster_ingest::uploads::EXPORTS_FOLDER`,
/// `OUTBOX_FOLDER`), whose zips the ingest skips (`is_export_key`): an export or a grade
/// write-back written anywhere else in the bucket would be notified to the upload queue and
/// ingested as an upload of its tenant.
fn exports_stay_in_the_exports_and_outbox_folders(template: &Template) -> Problems {
    let Some(function) = template.resource(EXPORT_FUNCTION, "AWS::Serverless::Function") else {
        return vec![format!("{EXPORT_FUNCTION} is not a function of the template")];
    };
    use oneroster_ingest::uploads::{EXPORTS_FOLDER, OUTBOX_FOLDER};
    let folders = [EXPORTS_FOLDER, OUTBOX_FOLDER].map(|folder| format!("${{UploadBucket.Arn}}/*/{folder}/*"));
    let folder = folders.join(" and ");
    let mut problems = Vec::new();
    let mut puts = 0;
    let policies = function["Properties"]["Policies"].as_sequence().into_iter().flatten();
    for statement in policies.flat_map(|p| p["Statement"].as_sequence().into_iter().flatten()) {
        let actions = match &statement["Action"] {
            Value::Sequence(actions) => actions.iter().filter_map(Value::as_str).collect(),
            action => action.as_str().into_iter().collect::<Vec<_>>(),
        };
        if statement["Effect"].as_str() != Some("Allow") || !actions.iter().any(|a| a.starts_with("s3:")) {
            continue;
        }
        puts += 1;
        let resources = match &statement["Resource"] {
            Value::Sequence(resources) => resources.iter().collect(),
            resource => vec![resource],
        };
        for resource in resources.into_iter().filter(|r| !folders.iter().any(|f| r.as_str() == Some(f.as_str()))) {
            let written = resource.as_str().unwrap_or("?");
            problems.push(format!(
                "{EXPORT_FUNCTION} may write {written:?}, outside the exports and outbox folders ({folder})"
            ));
        }
    }
    if puts == 0 {
        problems.push(format!("{EXPORT_FUNCTION} may not write its exports ({folder})"));
    }
    let bucket = &function["Properties"]["Environment"]["Variables"]["UPLOAD_BUCKET"];
    if reference(bucket) != Some(("UploadBucket", None)) {
        problems.push(format!("{EXPORT_FUNCTION}'s UPLOAD_BUCKET is not the upload bucket"));
    }
    problems
}

/// The template with `from` replaced by `to` inside the resource whose first line is
/// `anchor` (up to the next line indented as little), so that a mutation hits the resource
/// meant and no other.
fn broken(anchor: &str, from: &str, to: &str) -> Template {
    let start = TEMPLATE.find(&format!("\n{anchor}\n")).expect("the anchor is in the template") + 1;
    let body = start + anchor.len() + 1;
    let indent = anchor.len() - anchor.trim_start().len();
    let end = TEMPLATE[body..]
        .split_inclusive('\n')
        .scan(body, |at, line| {
            let here = *at;
            *at += line.len();
            Some((here, line))
        })
        .find(|(_, line)| !line.trim().is_empty() && line.len() - line.trim_start().len() <= indent)
        .map_or(TEMPLATE.len(), |(at, _)| at);
    let at = start + TEMPLATE[start..end].find(from).unwrap_or_else(|| panic!("{from:?} is in {anchor}"));
    Template::parse(&format!("{}{to}{}", &TEMPLATE[..at], &TEMPLATE[at + from.len()..]))
}

/// Asserts that `problems` has one containing `expected`, showing them all if not.
fn assert_noticed(problems: &Problems, expected: &str) {
    assert!(problems.iter().any(|p| p.contains(expected)), "expected a problem containing {expected:?}: {problems:#?}");
}

/// Probe: how yaml_serde reads CloudFormation's short forms, which the helper depends on.
#[test]
fn yaml_serde_reads_short_form_tags_as_tagged_values_and_reference_resolves_them() {
    let probe: Value = yaml_serde::from_str(
        "a: !GetAtt UploadQueue.Arn\nb: !Ref AlarmTopic\nc: !GetAtt [Table, Arn]\nd: {Ref: DataKey}\n\
         e: {'Fn::GetAtt': [Dlq, QueueName]}\nf: UploadQueue.Arn\ng: !Sub '${Table.Arn}/index/*'\n",
    )
    .unwrap();
    let Value::Tagged(tagged) = &probe["a"] else { panic!("a short form is a tagged value: {:?}", probe["a"]) };
    assert_eq!(tagged.tag, yaml_serde::value::Tag::new("!GetAtt"));
    assert_eq!(tagged.value, Value::String("UploadQueue.Arn".into()));
    assert_eq!(probe["a"].as_str(), Some("UploadQueue.Arn"), "as_str looks through the tag");
    assert_eq!(reference(&probe["a"]), Some(("UploadQueue", Some("Arn"))));
    assert_eq!(reference(&probe["b"]), Some(("AlarmTopic", None)));
    assert_eq!(reference(&probe["c"]), Some(("Table", Some("Arn"))));
    assert_eq!(reference(&probe["d"]), Some(("DataKey", None)));
    assert_eq!(reference(&probe["e"]), Some(("Dlq", Some("QueueName"))));
    assert_eq!(reference(&probe["f"]), None, "a plain string is no reference");
    assert_eq!(reference(&probe["g"]), None, "a !Sub names no single resource");
}

/// The deployed template keeps every rule the code relies on.
#[test]
fn the_template_gives_the_ingest_what_it_relies_on_from_aws() {
    let template = Template::parse(TEMPLATE);
    assert!(!template.ingest_events().is_empty(), "{INGEST_FUNCTION} has an SQS event");
    assert_eq!(batch_item_failures_are_reported(&template), Problems::new());
    assert_eq!(visibility_timeout_covers_the_function_timeout(&template), Problems::new());
    assert_eq!(one_upload_per_invocation(&template), Problems::new());
    assert_eq!(the_ingest_gives_up_before_sqs_does(&template), Problems::new());
    assert_eq!(failed_uploads_reach_an_alarmed_dead_letter_queue(&template), Problems::new());
    assert_eq!(only_zip_uploads_notify_the_upload_queue(&template), Problems::new());
    assert_eq!(exports_stay_in_the_exports_and_outbox_folders(&template), Problems::new());
    assert_eq!(the_apply_runs_as_the_code_expects(&template), Problems::new());
}

/// Rule 7 notices an ingest told no state machine or not allowed to start it, a definition
/// other than the code's, a step function outliving the lease or too few of it at once, and
/// more workers than shards.
#[test]
fn an_apply_the_template_would_run_otherwise_than_the_code_is_noticed() {
    let ingest = "  IngestFunction:";
    let untold =
        broken(ingest, "INGEST_STATE_MACHINE_ARN: !Ref IngestApplyStateMachine", "INGEST_STATE_MACHINE_ARN: x");
    assert_noticed(&the_apply_runs_as_the_code_expects(&untold), "is not !Ref of a state machine");
    let barred = broken(ingest, "Action: states:StartExecution", "Action: states:DescribeExecution");
    assert_noticed(&the_apply_runs_as_the_code_expects(&barred), "may not states:StartExecution");
    let machine = "  IngestApplyStateMachine:";
    let other = broken(machine, "DefinitionUri: ingest-apply.asl.json", "DefinitionUri: other.asl.json");
    assert_noticed(&the_apply_runs_as_the_code_expects(&other), "is not infra/ingest-apply.asl.json");
    let unsubstituted = broken(machine, "IngestApplyFunctionArn: !GetAtt IngestApplyFunction.Arn", "Other: x");
    assert_noticed(&the_apply_runs_as_the_code_expects(&unsubstituted), "for ${IngestApplyFunctionArn}");
    let steps = "  IngestApplyFunction:";
    let slow = broken(steps, "Timeout: 900", "Timeout: 1200");
    assert_noticed(&the_apply_runs_as_the_code_expects(&slow), "outlasts the ingest lock's lease");
    let narrow = broken(steps, "ReservedConcurrentExecutions: 32", "ReservedConcurrentExecutions: 8");
    assert_noticed(&the_apply_runs_as_the_code_expects(&narrow), "fewer than the 16 workers");
    let wide = broken("  IngestWorkers:", "MaxValue: 16", "MaxValue: 64");
    assert_noticed(&the_apply_runs_as_the_code_expects(&wide), "at most 16");
}

/// Issue 23: the template as it was, without `FunctionResponseTypes`, fails rule 1.
#[test]
fn an_sqs_event_that_does_not_report_batch_item_failures_is_noticed() {
    let ingest = "  IngestFunction:";
    let without = broken(ingest, "            FunctionResponseTypes: [ReportBatchItemFailures]\n", "");
    assert_noticed(&batch_item_failures_are_reported(&without), "does not set FunctionResponseTypes");
    let empty = broken(ingest, "FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []");
    assert_noticed(&batch_item_failures_are_reported(&empty), "does not set FunctionResponseTypes");
    let no_event = broken(ingest, "          Type: SQS\n", "          Type: SNS\n");
    assert_noticed(&batch_item_failures_are_reported(&no_event), "IngestFunction has no SQS event");
}

/// Rule 2 notices a visibility timeout below the function's and below six times it, follows
/// the event's reference rather than a name, and wants an ARN.
#[test]
fn a_visibility_timeout_short_of_the_function_timeout_is_noticed() {
    let queue = "  UploadQueue:";
    let below = broken(queue, "VisibilityTimeout: 5400", "VisibilityTimeout: 600");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&below), "AWS refuses the event source mapping");
    let default = broken(queue, "      VisibilityTimeout: 5400\n", "");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&default), "VisibilityTimeout 30 s is below");
    let short = broken(queue, "VisibilityTimeout: 5400", "VisibilityTimeout: 900");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&short), "below six times");
    let slower = broken("  IngestFunction:", "Timeout: 900", "Timeout: 901");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&slower), "below six times");
    let ingest = "  IngestFunction:";
    let other_queue = broken(ingest, "Queue: !GetAtt UploadQueue.Arn", "Queue: !GetAtt UploadDeadLetterQueue.Arn");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&other_queue), "UploadDeadLetterQueue's Visibility");
    let url = broken(ingest, "Queue: !GetAtt UploadQueue.Arn", "Queue: !Ref UploadQueue");
    assert_noticed(&visibility_timeout_covers_the_function_timeout(&url), "other than by !GetAtt <Queue>.Arn");
}

/// Rule 3 notices a batch size above one, and a missing one (SAM's default is 10).
#[test]
fn a_timeout_past_the_lease_or_a_dead_letter_before_the_last_run_is_noticed() {
    let long = broken("  IngestFunction:", "Timeout: 900", "Timeout: 1200");
    assert_noticed(&the_ingest_gives_up_before_sqs_does(&long), "outlasts the ingest lock's lease");
    let early = broken("  UploadQueue:", "maxReceiveCount: 5", "maxReceiveCount: 3");
    assert_noticed(&the_ingest_gives_up_before_sqs_does(&early), "dead-letters a message after 3 receives");
}

#[test]
fn a_batch_of_several_uploads_is_noticed() {
    let ingest = "  IngestFunction:";
    let ten = broken(ingest, "BatchSize: 1\n", "BatchSize: 10\n");
    assert_noticed(&one_upload_per_invocation(&ten), "has BatchSize 10:");
    let default = broken(ingest, "            BatchSize: 1\n", "");
    assert_noticed(&one_upload_per_invocation(&default), "has BatchSize 10 (the default)");
}

/// Rule 4 notices a missing redrive, a target that is no queue, a missing or single receive
/// count, retention that expires messages before or after redrive, and an alarm that is
/// missing, watches another queue, has no actions or counts what redrive does not send.
#[test]
fn a_dead_letter_queue_that_is_missing_unreachable_or_unwatched_is_noticed() {
    let (queue, alarm) = ("  UploadQueue:", "  DeadLetterAlarm:");
    let rule = failed_uploads_reach_an_alarmed_dead_letter_queue;
    let redrive = concat!(
        "      RedrivePolicy:\n",
        "        deadLetterTargetArn: !GetAtt UploadDeadLetterQueue.Arn\n",
        "        maxReceiveCount: 5\n",
    );
    assert_noticed(&rule(&broken(queue, redrive, "")), "UploadQueue has no RedrivePolicy");
    let topic = broken(queue, "!GetAtt UploadDeadLetterQueue.Arn", "!Ref AlarmTopic");
    assert_noticed(&rule(&topic), "deadLetterTargetArn is not !GetAtt <Queue>.Arn");
    let itself = broken(queue, "!GetAtt UploadDeadLetterQueue.Arn", "!GetAtt UploadQueue.Arn");
    assert_noticed(&rule(&itself), "deadLetterTargetArn is not !GetAtt <Queue>.Arn of another queue");
    let no_count = broken(queue, "        maxReceiveCount: 5\n", "");
    assert_noticed(&rule(&no_count), "has no maxReceiveCount");
    let once = broken(queue, "maxReceiveCount: 5", "maxReceiveCount: 1");
    assert_noticed(&rule(&once), "maxReceiveCount is 1");
    let too_many = broken(queue, "maxReceiveCount: 5", "maxReceiveCount: 64");
    assert_noticed(&rule(&too_many), "expires before it reaches UploadDeadLetterQueue");
    let dead_short =
        broken("  UploadDeadLetterQueue:", "MessageRetentionPeriod: 1209600", "MessageRetentionPeriod: 345600");
    assert_noticed(&rule(&dead_short), "UploadDeadLetterQueue keeps messages 345600 s, not longer");
    let elsewhere = broken(alarm, "!GetAtt UploadDeadLetterQueue.QueueName", "!GetAtt UploadQueue.QueueName");
    assert_noticed(&rule(&elsewhere), "no CloudWatch alarm has the dimension QueueName: !GetAtt UploadDeadLetterQueue");
    let silent = broken(alarm, "      AlarmActions: [!Ref AlarmTopic]\n", "");
    assert_noticed(
        &rule(&silent),
        "the alarm DeadLetterAlarm watches UploadDeadLetterQueue but it has no AlarmActions",
    );
    let sent = broken(alarm, "MetricName: ApproximateNumberOfMessagesVisible", "MetricName: NumberOfMessagesSent");
    assert_noticed(&rule(&sent), "redriven messages are not 'sent'");
}

/// Rule 5 notices a notification that is not filtered to `.zip`, one that goes to another
/// queue, and one of another kind of event.
#[test]
fn a_notification_that_is_unfiltered_misdirected_or_not_an_upload_is_noticed() {
    let bucket = "  UploadBucket:";
    let rule = only_zip_uploads_notify_the_upload_queue;
    let json = broken(bucket, "{Name: suffix, Value: .zip}", "{Name: suffix, Value: .json}");
    assert_noticed(&rule(&json), "UploadBucket notifies UploadQueue of keys not filtered to a suffix of the uploads");
    let prefix = broken(bucket, "{Name: suffix, Value: .zip}", "{Name: prefix, Value: district/}");
    assert_noticed(&rule(&prefix), "not filtered to a suffix of the uploads");
    let upper = broken(bucket, "{Name: suffix, Value: .ZIP}", "{Name: suffix, Value: .zip}");
    assert_noticed(&rule(&upper), "the ingest takes keys ending .ZIP, but no notification sends them");
    let misdirected = broken(bucket, "Queue: !GetAtt UploadQueue.Arn", "Queue: !GetAtt UploadDeadLetterQueue.Arn");
    assert_noticed(&rule(&misdirected), "the ingest takes keys ending .zip, but no notification sends them");
    let removed = broken(bucket, "Event: s3:ObjectCreated:*", "Event: s3:ObjectRemoved:*");
    assert_noticed(&rule(&removed), "of \"s3:ObjectRemoved:*\", which is not an upload");
}

/// Rule 6 notices an export function that may write anywhere in the bucket, or into another.
#[test]
fn an_export_function_writing_outside_the_exports_and_outbox_folders_is_noticed() {
    let function = "  ExportFunction:";
    let rule = exports_stay_in_the_exports_and_outbox_folders;
    let anywhere = broken(function, "${UploadBucket.Arn}/*/exports/*", "${UploadBucket.Arn}/*");
    let outside = "ExportFunction may write \"${UploadBucket.Arn}/*\", outside the exports and outbox folders";
    assert_noticed(&rule(&anywhere), outside);
    let elsewhere = broken(function, "UPLOAD_BUCKET: !Ref UploadBucket", "UPLOAD_BUCKET: !Ref AlarmTopic");
    assert_noticed(&rule(&elsewhere), "UPLOAD_BUCKET is not the upload bucket");
}

/// The problems of a dead-letter queue named by `target` (`!GetAtt <Queue>.Arn`): `missing()`
/// when it names no queue of the template, else those of its alarm ([`dead_letter_alarm`]).
fn alarmed_dead_letters(template: &Template, target: &Value, missing: impl Fn() -> String) -> Problems {
    match reference(target) {
        Some((dlq, Some("Arn"))) if template.resource(dlq, "AWS::SQS::Queue").is_some() => {
            dead_letter_alarm(template, dlq)
        }
        _ => vec![missing()],
    }
}

/// The template's logical id of the function that runs `events::handle_batch`.
const EVENTS_FUNCTION: &str = "EventsFunction";

/// Rule 7: the change events are made of the table's stream (`oneroster_events` compares old
/// and new images), and `events::handle_batch` answers the first record whose events it could
/// not store as a batch item failure: the table's stream must hold both images, the events
/// function's DynamoDB event must read that stream, report batch item failures (else Lambda
/// moves past them), bisect a failing batch, and send what it gives up on to a dead-letter
/// queue someone is alarmed of; and the function must be built from the events crate.
fn change_events_are_made_of_the_whole_stream(template: &Template) -> Problems {
    let mut problems = Vec::new();
    let table_stream = &template.0["Resources"]["Table"]["Properties"]["StreamSpecification"]["StreamViewType"];
    if table_stream.as_str() != Some("NEW_AND_OLD_IMAGES") {
        problems.push("the table's stream does not hold NEW_AND_OLD_IMAGES, which the events compare".to_owned());
    }
    let function = template.resource(EVENTS_FUNCTION, "AWS::Serverless::Function").unwrap_or(&Value::Null);
    if function["Properties"]["CodeUri"].as_str() != Some("../target/lambda/events/bootstrap.zip") {
        problems.push(format!("{EVENTS_FUNCTION} is not built from the events crate"));
    }
    let streams = template.function_events(EVENTS_FUNCTION, "DynamoDB");
    if streams.is_empty() {
        problems.push(format!("{EVENTS_FUNCTION} has no DynamoDB event: no change makes an event"));
    }
    for (event, properties) in streams {
        if reference(&properties["Stream"]) != Some(("Table", Some("StreamArn"))) {
            problems.push(format!("the DynamoDB event {event} does not read !GetAtt Table.StreamArn"));
        }
        if !reports_batch_item_failures(properties) {
            problems.push(format!(
                "the DynamoDB event {event} does not set FunctionResponseTypes: [ReportBatchItemFailures], so Lambda \
                 moves past the records whose events handle_batch could not store"
            ));
        }
        if properties["BisectBatchOnFunctionError"].as_bool() != Some(true) {
            problems.push(format!("the DynamoDB event {event} does not bisect a failing batch"));
        }
        let destination = &properties["DestinationConfig"]["OnFailure"]["Destination"];
        let missing = || format!("the DynamoDB event {event} sends what it gives up on to no queue");
        problems.extend(alarmed_dead_letters(template, destination, missing));
    }
    problems
}

/// Rule 7 holds for the deployed template, and notices a stream without old images, a mapping
/// that ignores batch item failures, and one that drops what it gives up on.
#[test]
fn the_change_events_read_the_whole_stream_and_lose_nothing_silently() {
    let rule = change_events_are_made_of_the_whole_stream;
    assert_eq!(rule(&Template::parse(TEMPLATE)), Problems::new());
    let keys = broken("  Table:", "StreamViewType: NEW_AND_OLD_IMAGES", "StreamViewType: NEW_IMAGE");
    assert_noticed(&rule(&keys), "does not hold NEW_AND_OLD_IMAGES");
    let function = "  EventsFunction:";
    let ignored = broken(function, "FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []");
    assert_noticed(&rule(&ignored), "does not set FunctionResponseTypes");
    let whole = broken(function, "BisectBatchOnFunctionError: true", "BisectBatchOnFunctionError: false");
    assert_noticed(&rule(&whole), "does not bisect");
    let dropped = broken(function, "Destination: !GetAtt EventsDeadLetterQueue.Arn", "Destination: !Ref AlarmTopic");
    assert_noticed(&rule(&dropped), "sends what it gives up on to no queue");
    let other = broken(function, "Stream: !GetAtt Table.StreamArn", "Stream: !GetAtt Table.Arn");
    assert_noticed(&rule(&other), "does not read !GetAtt Table.StreamArn");
}

/// The template's logical id of the function that runs `webhooks::handle_batch`.
const WEBHOOKS_FUNCTION: &str = "WebhooksFunction";

/// Rule 8: the webhook queue and the code agree. The events function queues deliveries on the
/// queue its `WEBHOOK_QUEUE_URL` names and puts events on the bus `EVENT_BUS_NAME` names; the
/// webhooks function is built from its crate, polls that same queue with partial batch
/// responses (`handle_batch` names the messages to deliver again; without them Lambda deletes
/// them), queues retries on it (`WEBHOOK_QUEUE_URL`) and opens secrets with `WEBHOOK_KEY`; its
/// `Timeout` outlasts a receiver's (`webhooks::post::TIMEOUT`); the queue's visibility timeout
/// is at least six times the function's, and what the function keeps failing on is
/// dead-lettered to an alarmed queue.
fn webhook_deliveries_reach_the_code_that_reads_them(template: &Template) -> Problems {
    let mut problems = Problems::new();
    let variables = |id: &str| {
        let function = template.resource(id, "AWS::Serverless::Function").unwrap_or(&Value::Null);
        function["Properties"]["Environment"]["Variables"].clone()
    };
    let (events, webhooks) = (variables(EVENTS_FUNCTION), variables(WEBHOOKS_FUNCTION));
    let function = template.resource(WEBHOOKS_FUNCTION, "AWS::Serverless::Function").unwrap_or(&Value::Null);
    if function["Properties"]["CodeUri"].as_str() != Some("../target/lambda/webhooks/bootstrap.zip") {
        problems.push(format!("{WEBHOOKS_FUNCTION} is not built from the webhooks crate"));
    }
    match reference(&events["EVENT_BUS_NAME"]) {
        Some((bus, None)) if template.resource(bus, "AWS::Events::EventBus").is_some() => {}
        _ => problems.push(format!("{EVENTS_FUNCTION}'s EVENT_BUS_NAME is not !Ref of the template's event bus")),
    }
    if webhooks["WEBHOOK_KEY"].is_null() {
        problems.push(format!("{WEBHOOKS_FUNCTION} has no WEBHOOK_KEY: it cannot open the webhooks' secrets"));
    }
    let sqs = template.function_events(WEBHOOKS_FUNCTION, "SQS");
    if sqs.is_empty() {
        problems.push(format!("{WEBHOOKS_FUNCTION} has no SQS event: no delivery is ever sent"));
    }
    for (event, properties) in sqs {
        let (id, queue) = match template.polled_queue(event, properties) {
            Ok(queue) => queue,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if !reports_batch_item_failures(properties) {
            problems.push(format!(
                "the SQS event {event} does not set FunctionResponseTypes: [ReportBatchItemFailures], so Lambda \
                 deletes the deliveries handle_batch asked to be handled again"
            ));
        }
        for (function, variables) in [(EVENTS_FUNCTION, &events), (WEBHOOKS_FUNCTION, &webhooks)] {
            if reference(&variables["WEBHOOK_QUEUE_URL"]) != Some((id, None)) {
                problems.push(format!("{function}'s WEBHOOK_QUEUE_URL is not !Ref {id}, the queue {event} polls"));
            }
        }
        match (template.timeout(WEBHOOKS_FUNCTION), seconds(queue, "VisibilityTimeout", 30)) {
            (Ok(timeout), Ok(visibility)) => {
                if visibility < 6 * timeout {
                    problems.push(format!(
                        "{id}'s VisibilityTimeout {visibility} s is below six times {WEBHOOKS_FUNCTION}'s Timeout \
                         {timeout} s"
                    ));
                }
                if timeout <= webhooks::post::TIMEOUT.as_secs() {
                    problems.push(format!(
                        "{WEBHOOKS_FUNCTION}'s Timeout {timeout} s does not outlast a receiver's {:?}",
                        webhooks::post::TIMEOUT
                    ));
                }
            }
            (Err(problem), _) | (_, Err(problem)) => problems.push(problem),
        }
        let target = &queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"];
        let missing = || format!("{id} dead-letters what the function keeps failing on to no queue");
        problems.extend(alarmed_dead_letters(template, target, missing));
    }
    problems
}

/// Rule 8 holds for the deployed template, and notices each way the queue and the code part.
#[test]
fn webhook_deliveries_reach_the_code_that_reads_them_and_lose_nothing_silently() {
    let rule = webhook_deliveries_reach_the_code_that_reads_them;
    assert_eq!(rule(&Template::parse(TEMPLATE)), Problems::new());
    let function = "  WebhooksFunction:";
    let ignored = broken(function, "FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []");
    assert_noticed(&rule(&ignored), "does not set FunctionResponseTypes");
    let elsewhere = broken(function, "WEBHOOK_QUEUE_URL: !Ref WebhookQueue", "WEBHOOK_QUEUE_URL: !Ref UploadQueue");
    assert_noticed(&rule(&elsewhere), "WebhooksFunction's WEBHOOK_QUEUE_URL is not !Ref WebhookQueue");
    let unset = broken("  EventsFunction:", "WEBHOOK_QUEUE_URL: !Ref WebhookQueue", "OTHER: !Ref WebhookQueue");
    assert_noticed(&rule(&unset), "EventsFunction's WEBHOOK_QUEUE_URL is not !Ref WebhookQueue");
    let no_bus = broken("  EventsFunction:", "EVENT_BUS_NAME: !Ref EventBus", "EVENT_BUS_NAME: default");
    assert_noticed(&rule(&no_bus), "EVENT_BUS_NAME is not !Ref");
    let slow = broken(function, "Timeout: 30", "Timeout: 60");
    assert_noticed(&rule(&slow), "VisibilityTimeout 180 s is below six times");
    let short = broken(function, "Timeout: 30", "Timeout: 10");
    assert_noticed(&rule(&short), "does not outlast a receiver's");
    let lost = broken("  WebhookQueue:", "deadLetterTargetArn: !GetAtt WebhookDeadLetterQueue.Arn", "x: y");
    assert_noticed(&rule(&lost), "dead-letters what the function keeps failing on to no queue");
}
