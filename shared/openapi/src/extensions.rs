//! The provider's extensions to the three services, written down as OpenAPI beside the official
//! files so that routes, scopes, envelopes and discovery read them as they read the standard's
//! operations: the rostering and resources writes an SIS or an integration hub makes in real
//! time (OneRoster 1.2 defines none; TimeBack's `extensions.yaml` publishes the same routes),
//! and the association collections `classResources` and `courseResources`.
//!
//! Each extension operation carries `x-provider-extension: true` in the discovery document and
//! a scope under [`SCOPE_PREFIX`], the one namespace of every extension scope, which a client
//! is granted only when asked for at its creation. The bodies are the 1.2 JSON of each entity as
//! GET serves it, under its singular key.

use crate::Service;
use serde_json::{json, Map, Value};

/// What every extension scope URI begins with: the provider's namespace, never the standard's.
pub const SCOPE_PREFIX: &str = "https://oneroster-provider.example.org/spec/or/ext/scope/";

/// The extension scopes, by short name, with what each grants.
pub const SCOPES: [(&str, &str); 6] = [
    ("roster.createput", "Create and replace rostering records (POST, PUT): an extension of this provider."),
    ("roster.delete", "Delete rostering records: an extension of this provider."),
    ("resource.createput", "Create and replace resources and their links: an extension of this provider."),
    ("resource.delete", "Delete resources and their links: an extension of this provider."),
    ("attendance.readonly", "Read attendance and absence codes: an extension of this provider."),
    ("events.readonly", "Read the change events of the district's records: an extension of this provider."),
];

/// What a successful extension operation answers.
#[derive(Clone, Copy)]
enum Answer {
    /// The record written, in this single-record envelope: 201 when created, 200 when replaced.
    Record(&'static str),
    /// 201 with the record made, in this single-record envelope.
    Made(&'static str),
    /// 201 with the supplied and allocated sourcedIds (`GUIDPairSetDType`).
    Pairs,
    /// 204.
    Nothing,
    /// 200 with this body (a list or one record).
    Read(&'static str),
}

/// One extension operation: method, path, operationId, scope (short name, `None` for a read
/// granted by the service's read scopes), request body schema, answer.
type Extension = (&'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>, Answer);

const CREATE: Option<&str> = Some("roster.createput");
const DELETE: Option<&str> = Some("roster.delete");
const RESOURCE_CREATE: Option<&str> = Some("resource.createput");
const RESOURCE_DELETE: Option<&str> = Some("resource.delete");

/// The rostering writes: create, replace and delete each record type (schools, terms and
/// grading periods as the typed views of orgs and sessions), and enrol in a class in one call.
const ROSTERING: [Extension; 32] = {
    use Answer::*;
    [
        ("post", "/orgs", "postOrg", CREATE, Some("SingleOrgDType"), Pairs),
        ("put", "/orgs/{sourcedId}", "putOrg", CREATE, Some("SingleOrgDType"), Record("SingleOrgDType")),
        ("delete", "/orgs/{sourcedId}", "deleteOrg", DELETE, None, Nothing),
        ("post", "/schools", "postSchool", CREATE, Some("SingleOrgDType"), Pairs),
        ("put", "/schools/{sourcedId}", "putSchool", CREATE, Some("SingleOrgDType"), Record("SingleOrgDType")),
        ("delete", "/schools/{sourcedId}", "deleteSchool", DELETE, None, Nothing),
        ("post", "/academicSessions", "postAcademicSession", CREATE, Some("SingleAcademicSessionDType"), Pairs),
        (
            "put",
            "/academicSessions/{sourcedId}",
            "putAcademicSession",
            CREATE,
            Some("SingleAcademicSessionDType"),
            Record("SingleAcademicSessionDType"),
        ),
        ("delete", "/academicSessions/{sourcedId}", "deleteAcademicSession", DELETE, None, Nothing),
        ("post", "/terms", "postTerm", CREATE, Some("SingleAcademicSessionDType"), Pairs),
        (
            "put",
            "/terms/{sourcedId}",
            "putTerm",
            CREATE,
            Some("SingleAcademicSessionDType"),
            Record("SingleAcademicSessionDType"),
        ),
        ("delete", "/terms/{sourcedId}", "deleteTerm", DELETE, None, Nothing),
        (
            "post",
            "/terms/{termSourcedId}/gradingPeriods",
            "postGradingPeriodForTerm",
            CREATE,
            Some("SingleAcademicSessionDType"),
            Pairs,
        ),
        (
            "put",
            "/gradingPeriods/{sourcedId}",
            "putGradingPeriod",
            CREATE,
            Some("SingleAcademicSessionDType"),
            Record("SingleAcademicSessionDType"),
        ),
        ("post", "/courses", "postCourse", CREATE, Some("SingleCourseDType"), Pairs),
        ("put", "/courses/{sourcedId}", "putCourse", CREATE, Some("SingleCourseDType"), Record("SingleCourseDType")),
        ("delete", "/courses/{sourcedId}", "deleteCourse", DELETE, None, Nothing),
        ("post", "/classes", "postClass", CREATE, Some("SingleClassDType"), Pairs),
        ("put", "/classes/{sourcedId}", "putClass", CREATE, Some("SingleClassDType"), Record("SingleClassDType")),
        ("delete", "/classes/{sourcedId}", "deleteClass", DELETE, None, Nothing),
        (
            "post",
            "/classes/{classSourcedId}/students",
            "postStudentForClass",
            CREATE,
            Some("SingleEnrollmentDType"),
            Made("SingleEnrollmentDType"),
        ),
        (
            "post",
            "/classes/{classSourcedId}/teachers",
            "postTeacherForClass",
            CREATE,
            Some("SingleEnrollmentDType"),
            Made("SingleEnrollmentDType"),
        ),
        ("post", "/users", "postUser", CREATE, Some("SingleUserDType"), Pairs),
        ("put", "/users/{sourcedId}", "putUser", CREATE, Some("SingleUserDType"), Record("SingleUserDType")),
        ("delete", "/users/{sourcedId}", "deleteUser", DELETE, None, Nothing),
        ("post", "/enrollments", "postEnrollment", CREATE, Some("SingleEnrollmentDType"), Pairs),
        (
            "put",
            "/enrollments/{sourcedId}",
            "putEnrollment",
            CREATE,
            Some("SingleEnrollmentDType"),
            Record("SingleEnrollmentDType"),
        ),
        ("delete", "/enrollments/{sourcedId}", "deleteEnrollment", DELETE, None, Nothing),
        ("post", "/demographics", "postDemographics", CREATE, Some("SingleDemographicsDType"), Pairs),
        (
            "put",
            "/demographics/{sourcedId}",
            "putDemographics",
            CREATE,
            Some("SingleDemographicsDType"),
            Record("SingleDemographicsDType"),
        ),
        ("delete", "/demographics/{sourcedId}", "deleteDemographics", DELETE, None, Nothing),
        ("delete", "/gradingPeriods/{sourcedId}", "deleteGradingPeriod", DELETE, None, Nothing),
    ]
};

/// The resources writes, the links of a resource to a class, a course or a user, and the
/// association collections of classResources.csv and courseResources.csv.
const RESOURCES: [Extension; 13] = {
    use Answer::*;
    [
        ("post", "/resources", "postResource", RESOURCE_CREATE, Some("SingleResourceDType"), Pairs),
        (
            "put",
            "/resources/{sourcedId}",
            "putResource",
            RESOURCE_CREATE,
            Some("SingleResourceDType"),
            Record("SingleResourceDType"),
        ),
        ("delete", "/resources/{sourcedId}", "deleteResource", RESOURCE_DELETE, None, Nothing),
        (
            "put",
            "/classes/{classSourcedId}/resources/{resourceSourcedId}",
            "putResourceForClass",
            RESOURCE_CREATE,
            None,
            Record("SingleClassResourceDType"),
        ),
        (
            "delete",
            "/classes/{classSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForClass",
            RESOURCE_DELETE,
            None,
            Nothing,
        ),
        (
            "put",
            "/courses/{courseSourcedId}/resources/{resourceSourcedId}",
            "putResourceForCourse",
            RESOURCE_CREATE,
            None,
            Record("SingleCourseResourceDType"),
        ),
        (
            "delete",
            "/courses/{courseSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForCourse",
            RESOURCE_DELETE,
            None,
            Nothing,
        ),
        (
            "put",
            "/users/{userSourcedId}/resources/{resourceSourcedId}",
            "putResourceForUser",
            RESOURCE_CREATE,
            None,
            Record("SingleUserResourceDType"),
        ),
        (
            "delete",
            "/users/{userSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForUser",
            RESOURCE_DELETE,
            None,
            Nothing,
        ),
        ("get", "/classResources", "getAllClassResources", None, None, Read("ClassResourceSetDType")),
        ("get", "/classResources/{sourcedId}", "getClassResource", None, None, Read("SingleClassResourceDType")),
        ("get", "/courseResources", "getAllCourseResources", None, None, Read("CourseResourceSetDType")),
        ("get", "/courseResources/{sourcedId}", "getCourseResource", None, None, Read("SingleCourseResourceDType")),
    ]
};

/// The schemas the extensions add to a service's file: the association records of the resources
/// service (and the references they hold, which its file does not define), and the sourcedId
/// pairs a POST answers where the file has none.
fn schemas(service: Service) -> Map<String, Value> {
    let gradebook = |name: &str| Service::Gradebook.schema(name).cloned().unwrap_or_default();
    let rostering = |name: &str| Service::Rostering.schema(name).cloned().unwrap_or_default();
    let mut schemas = Map::new();
    if matches!(service, Service::Rostering | Service::Resources) {
        for name in ["GUIDPairDType", "GUIDPairSetDType"] {
            schemas.insert(name.to_owned(), gradebook(name));
        }
    }
    if service == Service::Resources {
        for name in
            ["ClassGUIDRefDType", "CourseGUIDRefDType", "OrgGUIDRefDType", "ResourceGUIDRefDType", "UserGUIDRefDType"]
        {
            schemas.insert(name.to_owned(), rostering(name));
        }
        for (record, single, owner) in [
            ("ClassResource", "classResource", "Class"),
            ("CourseResource", "courseResource", "Course"),
            ("UserResource", "userResource", "User"),
        ] {
            schemas.insert(format!("{record}DType"), link_schema(record, owner));
            schemas.insert(format!("Single{record}DType"), envelope(single, &format!("{record}DType"), false));
            schemas
                .insert(format!("{record}SetDType"), envelope(&format!("{single}s"), &format!("{record}DType"), true));
        }
    }
    schemas
}

/// The schema of a link of a resource to a class, course or user (one row of its CSV file).
fn link_schema(record: &str, owner: &str) -> Value {
    let owner_property = owner.to_lowercase();
    let mut schema = json!({
        "description": format!("A {record} (a row of {}s.csv): the resource made available to the {owner_property}. An extension of this provider.", lower_first(record)),
        "type": "object",
        "properties": {
            "sourcedId": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "tobedeleted"]},
            "dateLastModified": {"type": "string", "format": "date-time"},
            "metadata": {"$ref": "#/components/schemas/MetadataDType"},
            "title": {"type": "string"},
            owner_property.clone(): {"$ref": format!("#/components/schemas/{owner}GUIDRefDType")},
            "resource": {"$ref": "#/components/schemas/ResourceGUIDRefDType"},
        },
        "required": ["sourcedId", "status", "dateLastModified", owner_property, "resource"],
        "additionalProperties": false,
    });
    if owner == "User" {
        // userResources.csv names the org and class the assignment belongs to, and no title.
        let properties = &mut schema["properties"];
        properties["org"] = json!({"$ref": "#/components/schemas/OrgGUIDRefDType"});
        properties["class"] = json!({"$ref": "#/components/schemas/ClassGUIDRefDType"});
        if let Some(properties) = properties.as_object_mut() {
            properties.remove("title");
        }
    }
    schema
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// A body schema with one property `key`: the record (`is_list`: an array of them).
fn envelope(key: &str, record: &str, is_list: bool) -> Value {
    let item = json!({"$ref": format!("#/components/schemas/{record}")});
    let property = if is_list { json!({"type": "array", "items": item}) } else { item };
    json!({"type": "object", "properties": {key: property}, "required": [key], "additionalProperties": false})
}

/// The extension operations of `service`.
fn operations(service: Service) -> &'static [Extension] {
    match service {
        Service::Rostering => &ROSTERING,
        Service::Resources => &RESOURCES,
        // The attendance service's file is the provider's own: its operations are in it.
        Service::Gradebook | Service::Attendance => &[],
    }
}

/// `document` (a service's official file) with the service's extensions added: their paths
/// (merged into the path items the file has), schemas and scopes, each extension marked.
pub(crate) fn extend(service: Service, mut document: Value) -> Value {
    let reads = read_scopes(service, &document);
    for (method, path, operation_id, scope, body, answer) in operations(service) {
        let scopes: Vec<String> = match scope {
            Some(short) => vec![format!("{SCOPE_PREFIX}{short}")],
            None => reads.clone(),
        };
        let operation = operation(path, operation_id, &scopes, *body, *answer);
        if let Some(paths) = document["paths"].as_object_mut() {
            let item = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
            item[*method] = operation;
        }
    }
    if let Some(defined) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        defined.extend(schemas(service));
    }
    let scopes = document.pointer_mut("/components/securitySchemes/OAuth2CC/flows/clientCredentials/scopes");
    if let Some(scopes) = scopes.and_then(Value::as_object_mut) {
        for (short, what) in SCOPES.iter().filter(|(short, _)| operations(service).iter().any(|o| o.3 == Some(*short)))
        {
            scopes.insert(format!("{SCOPE_PREFIX}{short}"), Value::String((*what).to_owned()));
        }
    }
    document
}

/// The scopes of the service's own read of all resources (`getAllResources`), which the
/// association collections share.
fn read_scopes(service: Service, document: &Value) -> Vec<String> {
    let all = match service {
        Service::Resources => "/resources",
        _ => return Vec::new(),
    };
    document["paths"][all]["get"]["security"][0]["OAuth2CC"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// The OpenAPI operation object of one extension.
fn operation(path: &str, operation_id: &str, scopes: &[String], body: Option<&str>, answer: Answer) -> Value {
    let schema = |name: &str| json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}});
    let parameters: Vec<Value> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}, "style": "simple"}))
        .collect();
    let mut responses = Map::new();
    match answer {
        Answer::Record(single) => {
            responses
                .insert("200".into(), json!({"description": "The record was replaced.", "content": schema(single)}));
            responses
                .insert("201".into(), json!({"description": "The record was created.", "content": schema(single)}));
        }
        Answer::Made(single) => {
            responses
                .insert("201".into(), json!({"description": "The record was created.", "content": schema(single)}));
        }
        Answer::Pairs => {
            let description = "The record was created under its supplied sourcedId, or under the one allocated when the supplied one was taken.";
            responses.insert("201".into(), json!({"description": description, "content": schema("GUIDPairSetDType")}));
        }
        Answer::Nothing => {
            responses.insert("204".into(), json!({"description": "The record was deleted."}));
        }
        Answer::Read(body) => {
            responses.insert("200".into(), json!({"description": "The records asked for.", "content": schema(body)}));
        }
    }
    for (code, description) in [
        ("400", "The request is malformed."),
        ("401", "The request was not correctly authorised."),
        ("403", "The token does not hold the operation's scope."),
        ("404", "A record the path names does not exist."),
        ("409", "Other records still refer to the record."),
        ("422", "The body is not a valid record; the description names the property."),
    ] {
        responses.insert(code.into(), json!({"description": description, "content": schema("imsx_StatusInfoDType")}));
    }
    let mut operation = json!({
        "operationId": operation_id,
        "summary": format!("{operation_id}: an extension of this provider, not part of OneRoster 1.2."),
        "x-provider-extension": true,
        "parameters": parameters,
        "security": [{"OAuth2CC": scopes}],
        "responses": responses,
    });
    if let Some(body) = body {
        operation["requestBody"] = json!({"required": true, "content": schema(body)});
    }
    operation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_is_marked_and_scoped_in_the_extension_namespace_or_by_a_read_scope() {
        for service in Service::ALL {
            let document = service.discovery();
            for operation in service.operations().iter().filter(|o| o.extension) {
                let item = &document["paths"][&operation.path][operation.method.to_lowercase()];
                assert_eq!(item["x-provider-extension"], true, "{}", operation.operation_id);
                assert!(!operation.scopes.is_empty(), "{}", operation.operation_id);
                let namespaced = operation.scopes.iter().all(|s| s.starts_with(SCOPE_PREFIX));
                assert!(namespaced || operation.method == "GET", "{}", operation.operation_id);
            }
        }
    }

    #[test]
    fn the_association_collections_have_envelopes_and_schemas() {
        let all = Service::Resources.operation("getAllClassResources").expect("getAllClassResources");
        let envelope = all.envelope.clone().expect("an envelope");
        assert_eq!(
            (envelope.key.as_str(), envelope.item_schema.as_str(), envelope.is_list),
            ("classResources", "ClassResourceDType", true)
        );
        assert!(all.scopes.iter().any(|s| s.ends_with("/resource.readonly")), "{:?}", all.scopes);
        let shape = Service::Resources.shape("CourseResourceDType").expect("a shape");
        assert_eq!(shape.property("course").map(|p| &p.shape), Some(&crate::Shape::Reference("course")));
    }

    #[test]
    fn a_put_answers_its_record_and_a_post_its_pairs() {
        let put = Service::Rostering.operation("putClass").expect("putClass").envelope.clone().expect("envelope");
        assert_eq!((put.key.as_str(), put.is_list), ("class", false));
        let post = Service::Rostering.operation("postUser").expect("postUser").envelope.clone().expect("envelope");
        assert_eq!(post.key, "sourcedIdPairs");
    }
}
