//! Records as each version serves them. A stored record names the records it refers to
//! (`{"sourcedId", "type"}`: [`GuidRef`](oneroster_model::entities::GuidRef)); the GUIDRef
//! served also says where the record is served, an `href` that depends on the version and on
//! the deployment, so it is made here, per response: the deployment's origin (when it has one,
//! [`crate::serving`]), the base that serves the referenced type (in 1.2 that of the service
//! whose OpenAPI file specifies it, [`Service::base_path`]; in 1.1 the one base), the
//! collection and the id. Records are stored in the 1.2 shape; 1.1 serves them through its
//! view ([`v1p1`]: `role` and `orgs` from a user's `roles`, and so on).
//!
//! Which properties are references comes from the record's schema in the version ([`Shape`]),
//! and the collection from each reference's own `type`. An `href` stored before (bodies
//! written when the stored form still carried one) is replaced, so old and new records render
//! alike.
//!
//! Rendering is on every read's path, so it touches only what it changes: the stored JSON is
//! split into its values as text ([`RawValue`]), those the shape leads to references (or the
//! 1.1 view to other values) are parsed and written again, and every other value is copied
//! byte for byte.

mod v1p1;

use oneroster_model::Collection;
use oneroster_openapi::{Property, Service, Shape, Version};
use oneroster_query::Selection;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::LazyLock;

/// How the records of one schema are rendered in one version: where their references are,
/// where the records they name are served, and (1.1) the view of the stored 1.2 record.
#[derive(Debug, Clone)]
pub struct Rendering {
    /// The schema's shape cut down to the paths that lead to references (`None`: it has none).
    references: Option<Shape>,
    /// Where the records of each collection are served in the version.
    paths: &'static HashMap<Collection, String>,
    /// The 1.1 view of the records, in 1.1.
    view: Option<v1p1::View>,
}

/// Where references point: the deployment's origin and the version's paths.
#[derive(Clone, Copy)]
struct Place<'p> {
    origin: &'p str,
    paths: &'static HashMap<Collection, String>,
}

impl Rendering {
    /// The rendering of `version`'s records of `service`'s `item_schema` (`UserDType`), or
    /// `None` if the file has no such schema.
    pub fn of(version: Version, service: Service, item_schema: &str) -> Option<Self> {
        let references = references_only(version.shape(service, item_schema)?);
        let (paths, view) = match version {
            Version::V1p2 => (&*PATHS, None),
            Version::V1p1 => (&*V1P1_PATHS, Some(v1p1::View::of(service, item_schema)?)),
        };
        Some(Self { references, paths, view })
    }

    /// A stored record's JSON as the version serves it, cut to `selection`: every reference
    /// with its `href` first (`href`, `sourcedId`, `type`, the order of the schema), on
    /// `origin` when the deployment has one.
    ///
    /// Only the references (and in 1.1 what its view changes) are parsed and written again;
    /// every other value is copied as stored, so a page costs little more than its bytes.
    pub fn render_json(&self, body: &str, selection: &Selection, origin: Option<&str>) -> serde_json::Result<String> {
        self.render_json_shown(body, selection, origin, &|_| true)
    }

    /// [`Rendering::render_json`], leaving out too the top-level properties `shown` refuses
    /// (what the caller is not shared: left out as the record is split, not parsed again).
    pub fn render_json_shown(
        &self,
        body: &str,
        selection: &Selection,
        origin: Option<&str>,
        shown: &dyn Fn(&str) -> bool,
    ) -> serde_json::Result<String> {
        let kept = |name: &Name| selection.includes(&name.0) && shown(&name.0);
        let properties = match &self.references {
            Some(Shape::Object(properties)) => properties.as_slice(),
            _ if selection.names().is_none() && self.view.is_none() => return Ok(body.to_owned()),
            _ => &[],
        };
        let place = Place { origin: origin.unwrap_or_default(), paths: self.paths };
        let Properties(entries) = serde_json::from_str(body)?;
        let mut out = String::with_capacity(body.len() + 128);
        match &self.view {
            None => {
                let selected = entries.iter().map(|(name, value)| (name, *value));
                object(selected.filter(|(name, _)| kept(name)), properties, place, &mut out)?;
            }
            Some(view) => {
                let viewed = view.apply(&entries)?;
                let selected = viewed.iter().map(|(name, value)| (name, value.raw()));
                object(selected.filter(|(name, _)| kept(name)), properties, place, &mut out)?;
            }
        }
        Ok(out)
    }

    /// `record` rendered in place, as [`Rendering::render_json`] renders its JSON (for the
    /// rare reader of parsed records: a filter on a reference's `href`, or on a 1.1 property
    /// the stored record holds otherwise). A value that is no object stays as it is.
    pub fn render(&self, record: &mut Value, origin: Option<&str>) {
        let json = self.render_json(&record.to_string(), &Selection::default(), origin);
        if let Ok(rendered) = json.and_then(|json| serde_json::from_str(&json)) {
            *record = rendered;
        }
    }
}

/// `shape` without the properties that hold no reference, or `None` if it holds none: a
/// rendering walks only where references can be.
fn references_only(shape: Shape) -> Option<Shape> {
    match shape {
        Shape::Reference(_) => Some(shape),
        Shape::Array(items) => references_only(*items).map(|items| Shape::Array(Box::new(items))),
        Shape::Object(properties) => {
            let kept: Vec<_> = properties
                .into_iter()
                .filter_map(|mut property| {
                    property.shape = references_only(property.shape)?;
                    Some(property)
                })
                .collect();
            (!kept.is_empty()).then_some(Shape::Object(kept))
        }
        _ => None,
    }
}

/// An object's properties in their order, each value as its JSON text, so that what holds
/// no reference is copied without being parsed into values.
struct Properties<'a>(Vec<(Name<'a>, &'a RawValue)>);

impl<'a> Properties<'a> {
    /// The text of property `name` when it is a string.
    fn text(&self, name: &str) -> Option<String> {
        let (_, value) = self.0.iter().find(|(given, _)| given.0 == name)?;
        serde_json::from_str(value.get()).ok()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Properties<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Entries<'a> {
            type Value = Properties<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(24));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Properties(entries))
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// A property's name: borrowed from the stored JSON when it holds no escape (every name the
/// model writes), so that it is written back as it was, else unescaped.
#[derive(Clone)]
struct Name<'a>(Cow<'a, str>);

impl Name<'_> {
    /// Writes the name as a JSON string.
    fn write(&self, out: &mut String) -> serde_json::Result<()> {
        match &self.0 {
            // Borrowed only from a JSON string without escapes: nothing in it needs one.
            Cow::Borrowed(name) => {
                out.push('"');
                out.push_str(name);
                out.push('"');
            }
            Cow::Owned(name) => out.push_str(&serde_json::to_string(name)?),
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Text<'a> {
            type Value = Name<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(name)))
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(name.to_owned())))
            }
        }
        deserializer.deserialize_str(Text(PhantomData))
    }
}

/// Writes an object of `entries`, rendering those `properties` says lead to references.
fn object<'e, 'a: 'e>(
    entries: impl Iterator<Item = (&'e Name<'a>, &'e RawValue)>,
    properties: &[Property],
    place: Place<'_>,
    out: &mut String,
) -> serde_json::Result<()> {
    out.push('{');
    members(entries, properties, place, out, false)?;
    out.push('}');
    Ok(())
}

/// Writes `entries` as an object's members (`"name":value`, comma-separated, one before the
/// first when `after_another`), rendering those `properties` says lead to references.
fn members<'e, 'a: 'e>(
    entries: impl Iterator<Item = (&'e Name<'a>, &'e RawValue)>,
    properties: &[Property],
    place: Place<'_>,
    out: &mut String,
    after_another: bool,
) -> serde_json::Result<()> {
    for (i, (name, value)) in entries.enumerate() {
        if i > 0 || after_another {
            out.push(',');
        }
        name.write(out)?;
        out.push(':');
        match properties.iter().find(|property| property.name == name.0) {
            Some(property) => splice(value, &property.shape, place, out)?,
            None => out.push_str(value.get()),
        }
    }
    Ok(())
}

/// Writes `value` with the references `shape` leads to rendered; a value not of the shape's
/// kind (a `null`, say) is copied as it is.
fn splice(value: &RawValue, shape: &Shape, place: Place<'_>, out: &mut String) -> serde_json::Result<()> {
    match shape {
        Shape::Reference(declared) => match serde_json::from_str::<Properties>(value.get()) {
            Ok(reference) => match reference_href(&reference, declared, place) {
                Some(href) => {
                    out.push_str("{\"href\":");
                    out.push_str(&serde_json::to_string(&href)?);
                    let stored = reference.0.iter().filter(|(name, _)| name.0 != "href").map(|(n, v)| (n, *v));
                    members(stored, &[], place, out, true)?;
                    out.push('}');
                }
                None => out.push_str(value.get()),
            },
            Err(_) => out.push_str(value.get()),
        },
        Shape::Array(items) => match serde_json::from_str::<Vec<&RawValue>>(value.get()) {
            Ok(values) => {
                out.push('[');
                for (i, value) in values.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    splice(value, items, place, out)?;
                }
                out.push(']');
            }
            Err(_) => out.push_str(value.get()),
        },
        Shape::Object(properties) => match serde_json::from_str::<Properties>(value.get()) {
            Ok(Properties(entries)) => object(entries.iter().map(|(n, v)| (n, *v)), properties, place, out)?,
            Err(_) => out.push_str(value.get()),
        },
        _ => out.push_str(value.get()),
    }
    Ok(())
}

/// The `href` a reference is rendered with, first and in place of any stored one: the
/// collection its `type` names (else the one the schema declares) and its `sourcedId`. A
/// reference to neither, or without an id, has none and keeps what it has.
fn reference_href(reference: &Properties, declared: &str, place: Place<'_>) -> Option<String> {
    let stated = reference.text("type").and_then(|ref_type| Collection::from_ref_type(&ref_type));
    let collection = stated.or_else(|| Collection::from_ref_type(declared))?;
    href(place, collection, &reference.text("sourcedId")?)
}

/// Where records of each collection are served in 1.2, below the origin: `{base}/{collection}/`,
/// the base being that of the service whose file specifies the record type (a class is served
/// by rostering, a line item by the gradebook). Collections no service serves (the resource
/// links of the CSV binding) have none.
static PATHS: LazyLock<HashMap<Collection, String>> = LazyLock::new(|| {
    Collection::ALL
        .into_iter()
        .filter_map(|collection| {
            let (service, _) = oneroster_openapi::record_schema(collection.ref_type())?;
            Some((collection, format!("{}/{}/", service.base_path(), collection.name())))
        })
        .collect()
});

/// Where records of each collection are served in 1.1: below its one base, for the same
/// collections as in 1.2.
static V1P1_PATHS: LazyLock<HashMap<Collection, String>> = LazyLock::new(|| {
    let base = oneroster_openapi::v1p1::BASE;
    PATHS.keys().map(|collection| (*collection, format!("{base}/{}/", collection.name()))).collect()
});

/// The `href` of record `id` of `collection` at `place` (an empty origin: a path). A `/` in the
/// id is percent-encoded (`usr%2F001`), so that the path has one segment per id; the other
/// GUID characters need no encoding in a path.
fn href(place: Place<'_>, collection: Collection, id: &str) -> Option<String> {
    let path = place.paths.get(&collection)?;
    let mut href = String::with_capacity(place.origin.len() + path.len() + id.len() + 4);
    href.push_str(place.origin);
    href.push_str(path);
    if id.contains('/') {
        href.push_str(&id.replace('/', "%2F"));
    } else {
        href.push_str(id);
    }
    Some(href)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";
    const GRADEBOOK: &str = "/ims/oneroster/gradebook/v1p2";
    const RESOURCES: &str = "/ims/oneroster/resources/v1p2";

    fn at(origin: &str) -> Place<'_> {
        Place { origin, paths: &PATHS }
    }

    fn rendered(service: Service, schema: &str, mut record: Value, origin: Option<&str>) -> Value {
        Rendering::of(Version::V1p2, service, schema).expect(schema).render(&mut record, origin);
        record
    }

    #[test]
    fn hrefs_encode_a_slash_in_the_id_and_nothing_else() {
        assert_eq!(
            href(at(""), Collection::Users, "usr/0001@lu.x-y_z").as_deref(),
            Some("/ims/oneroster/rostering/v1p2/users/usr%2F0001@lu.x-y_z")
        );
        assert_eq!(
            href(at(""), Collection::LineItems, "li-1").as_deref(),
            Some("/ims/oneroster/gradebook/v1p2/lineItems/li-1")
        );
        assert_eq!(
            href(at("https://api.example.org"), Collection::Classes, "a/b/c@d").as_deref(),
            Some("https://api.example.org/ims/oneroster/rostering/v1p2/classes/a%2Fb%2Fc@d")
        );
        assert_eq!(
            href(at(""), Collection::ClassResources, "l-1").as_deref(),
            Some("/ims/oneroster/resources/v1p2/classResources/l-1"),
            "an association collection of the provider's extensions"
        );
        assert_eq!(href(at(""), Collection::UserResources, "l-1"), None, "user links are served nowhere");
    }

    #[test]
    fn every_reference_type_points_below_the_base_of_the_service_that_serves_it() {
        let cases = [
            ("org", format!("{ROSTERING}/orgs/x")),
            ("academicSession", format!("{ROSTERING}/academicSessions/x")),
            ("course", format!("{ROSTERING}/courses/x")),
            ("class", format!("{ROSTERING}/classes/x")),
            ("user", format!("{ROSTERING}/users/x")),
            ("enrollment", format!("{ROSTERING}/enrollments/x")),
            ("demographics", format!("{ROSTERING}/demographics/x")),
            ("resource", format!("{RESOURCES}/resources/x")),
            ("category", format!("{GRADEBOOK}/categories/x")),
            ("scoreScale", format!("{GRADEBOOK}/scoreScales/x")),
            ("lineItem", format!("{GRADEBOOK}/lineItems/x")),
            ("result", format!("{GRADEBOOK}/results/x")),
            ("assessmentLineItem", format!("{GRADEBOOK}/assessmentLineItems/x")),
            ("assessmentResult", format!("{GRADEBOOK}/assessmentResults/x")),
            ("absenceCode", "/ims/oneroster/attendance/v1p2/absenceCodes/x".to_owned()),
            ("attendance", "/ims/oneroster/attendance/v1p2/attendance/x".to_owned()),
        ];
        for (ref_type, expected) in cases {
            let collection = Collection::from_ref_type(ref_type).expect(ref_type);
            assert_eq!(href(at(""), collection, "x"), Some(expected), "{ref_type}");
        }
    }

    /// The types of the references in `shape`.
    fn reference_types(shape: &Shape, types: &mut Vec<&'static str>) {
        match shape {
            Shape::Reference(ref_type) => types.push(ref_type),
            Shape::Array(items) => reference_types(items, types),
            Shape::Object(properties) => properties.iter().for_each(|p| reference_types(&p.shape, types)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_of_every_served_record_has_an_href() {
        let mut seen = std::collections::BTreeSet::new();
        for service in Service::ALL {
            for envelope in service.operations().iter().filter_map(|o| o.envelope.as_ref()) {
                let schema = &envelope.item_schema;
                let rendering = Rendering::of(Version::V1p2, service, schema).expect(schema);
                let mut types = Vec::new();
                if let Some(references) = &rendering.references {
                    reference_types(references, &mut types);
                }
                for ref_type in types {
                    let collection = Collection::from_ref_type(ref_type);
                    assert!(collection.and_then(|c| href(at(""), c, "x")).is_some(), "{schema}: {ref_type}");
                    seen.insert(ref_type);
                }
            }
        }
        let expected = [
            "absenceCode",
            "academicSession",
            "assessmentLineItem",
            "category",
            "class",
            "course",
            "lineItem",
            "org",
            "resource",
            "scoreScale",
            "user",
        ];
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected, "the GUIDRef types of the OpenAPI files");
    }

    #[test]
    fn references_at_any_depth_get_their_href_first() {
        let user = json!({
            "sourcedId": "u/1", "status": "active", "givenName": "A",
            "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s 1", "type": "org"}}],
            "primaryOrg": {"sourcedId": "s@1", "type": "org"},
            "agents": [{"sourcedId": "p/1", "type": "user"}, {"sourcedId": "p-2", "type": "user"}],
            "metadata": {"friend": {"sourcedId": "u-9", "type": "user"}}
        });
        let user = rendered(Service::Rostering, "UserDType", user, Some("https://api.example.org"));
        let on = |path: &str| format!("https://api.example.org{ROSTERING}{path}");
        assert_eq!(
            user["roles"][0]["org"],
            json!({"href": on("/orgs/s 1"), "sourcedId": "s 1", "type": "org"}),
            "only a slash is encoded"
        );
        assert_eq!(user["primaryOrg"]["href"], on("/orgs/s@1"));
        assert_eq!(user["agents"][0]["href"], on("/users/p%2F1"));
        assert_eq!(user["agents"][1]["href"], on("/users/p-2"));
        assert_eq!(user["metadata"]["friend"], json!({"sourcedId": "u-9", "type": "user"}), "metadata is as given");
        let keys: Vec<&str> = user["agents"][0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["href", "sourcedId", "type"]);
        let keys: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["sourcedId", "status", "givenName", "roles", "primaryOrg", "agents", "metadata"]);

        let class = json!({"course": {"sourcedId": "k", "type": "course"}, "terms": [{"sourcedId": "t/1", "type": "academicSession"}]});
        let class = rendered(Service::Rostering, "ClassDType", class, None);
        assert_eq!(
            class["terms"][0]["href"],
            format!("{ROSTERING}/academicSessions/t%2F1"),
            "a path without an origin"
        );
        assert_eq!(class["course"]["href"], format!("{ROSTERING}/courses/k"));

        let item = json!({
            "class": {"sourcedId": "k", "type": "class"}, "scoreScale": {"sourcedId": "ss", "type": "scoreScale"},
            "learningObjectiveSet": [{"source": "case", "learningObjectiveIds": ["a/b"]}]
        });
        let item = rendered(Service::Gradebook, "LineItemDType", item, None);
        assert_eq!(item["class"]["href"], format!("{ROSTERING}/classes/k"), "another service's record");
        assert_eq!(item["scoreScale"]["href"], format!("{GRADEBOOK}/scoreScales/ss"));
        assert_eq!(item["learningObjectiveSet"], json!([{"source": "case", "learningObjectiveIds": ["a/b"]}]));
    }

    #[test]
    fn a_body_stored_with_hrefs_renders_as_one_stored_without() {
        let new = json!({
            "sourcedId": "r-1", "lineItem": {"sourcedId": "li/1", "type": "lineItem"},
            "student": {"sourcedId": "u-1", "type": "user"}, "class": {"sourcedId": "k-1", "type": "class"}
        });
        let old = json!({
            "sourcedId": "r-1",
            "lineItem": {"href": format!("{GRADEBOOK}/lineItems/li%2F1"), "sourcedId": "li/1", "type": "lineItem"},
            "student": {"href": "x", "sourcedId": "u-1", "type": "user"},
            "class": {"href": "https://elsewhere.example/c", "sourcedId": "k-1", "type": "class"}
        });
        for origin in [None, Some("http://127.0.0.1:8080")] {
            let new = rendered(Service::Gradebook, "ResultDType", new.clone(), origin);
            let old = rendered(Service::Gradebook, "ResultDType", old.clone(), origin);
            assert_eq!(new.to_string(), old.to_string(), "{origin:?}");
            assert_eq!(new["lineItem"]["href"], format!("{}{GRADEBOOK}/lineItems/li%2F1", origin.unwrap_or_default()));
        }
    }

    #[test]
    fn a_reference_is_typed_by_its_own_type_and_else_by_its_property() {
        let enrollment = json!({
            "user": {"sourcedId": "u-1"}, "class": {"sourcedId": "k-1", "type": "course"},
            "school": {"sourcedId": "s-1", "type": "somethingElse"}
        });
        let enrollment = rendered(Service::Rostering, "EnrollmentDType", enrollment, None);
        assert_eq!(enrollment["user"]["href"], format!("{ROSTERING}/users/u-1"));
        assert_eq!(enrollment["class"]["href"], format!("{ROSTERING}/courses/k-1"));
        assert_eq!(enrollment["school"]["href"], format!("{ROSTERING}/orgs/s-1"));
        let demographics = rendered(Service::Rostering, "DemographicsDType", json!({"sex": "female"}), None);
        assert_eq!(demographics, json!({"sex": "female"}), "nothing to render");
    }

    #[test]
    fn the_json_of_a_stored_record_is_cut_to_the_selection_and_copied_where_it_holds_no_reference() {
        let rendering = Rendering::of(Version::V1p2, Service::Rostering, "UserDType").expect("users");
        let body = r#"{"sourcedId":"u-1","metadata":{"x":[1,2.5,"\u00e9\n"]},"primaryOrg":null,"roles":[{"role":"student","org":{"sourcedId":"s/1","type":"org"},"extra":{"sourcedId":"z"}}],"agents":[]}"#;
        let every = rendering.render_json(body, &Selection::default(), None).expect("renders");
        assert_eq!(
            every,
            format!(
                r#"{{"sourcedId":"u-1","metadata":{{"x":[1,2.5,"\u00e9\n"]}},"primaryOrg":null,"roles":[{{"role":"student","org":{{"href":"{ROSTERING}/orgs/s%2F1","sourcedId":"s/1","type":"org"}},"extra":{{"sourcedId":"z"}}}}],"agents":[]}}"#
            ),
            "values without references are the stored text, a null reference stays null"
        );
        let fields = oneroster_query::RecordFields::of(Version::V1p2, Service::Rostering, "UserDType").expect("users");
        let (selection, _) = Selection::parse(Some("fields=roles,sourcedId"), &fields).expect("a selection");
        assert!(
            selection.includes("roles") && !selection.includes("agents") && Selection::default().includes("agents")
        );
        let some = rendering.render_json(body, &selection, Some("https://x.example")).expect("renders");
        let some: Value = serde_json::from_str(&some).expect("JSON");
        let keys: Vec<&str> = some.as_object().expect("an object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["sourcedId", "roles"], "the record's own order");
        assert_eq!(some["roles"][0]["org"]["href"], format!("https://x.example{ROSTERING}/orgs/s%2F1"));
        assert!(rendering.render_json("[1]", &Selection::default(), None).is_err(), "a record is an object");
    }

    #[test]
    fn escapes_in_stored_names_and_ids_are_read_as_json_reads_them() {
        let rendering = Rendering::of(Version::V1p2, Service::Rostering, "ClassDType").expect("classes");
        let body = r#"{"sourcedId":"k-1","cod\u0065":"x","course":{"sourcedId":"c\/1","type":"course","href":"old"}}"#;
        let rendered = rendering.render_json(body, &Selection::default(), None).expect("renders");
        assert_eq!(
            rendered,
            format!(
                r#"{{"sourcedId":"k-1","code":"x","course":{{"href":"{ROSTERING}/courses/c%2F1","sourcedId":"c\/1","type":"course"}}}}"#
            )
        );
        let parsed: Value = serde_json::from_str(&rendered).expect("JSON");
        assert_eq!(parsed["course"]["sourcedId"], "c/1");
    }
}
