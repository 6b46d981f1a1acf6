//! A browser on the web pages: its cookies, the CSRF token of the page it read last, and
//! the forms it posts. The pages are outside the OpenAPI document, so their answers go
//! through `send_unchecked`.

use actix_web::http::{header, Method, StatusCode};
use actix_web::test::TestRequest;

use super::{Reply, TestApp};

/// A browser's cookies, as the answers set them.
#[derive(Default, Clone)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    fn take(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let cookie = actix_web::cookie::Cookie::parse(value.to_str().unwrap().to_owned())
                .expect("a cookie");
            self.0.retain(|(name, _)| name != cookie.name());
            if !cookie.value().is_empty() {
                self.0
                    .push((cookie.name().to_owned(), cookie.value().to_owned()));
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub async fn browse(app: &TestApp, jar: &mut Jar, method: Method, path: &str, form: &str) -> Reply {
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .peer_addr("127.0.0.1:4000".parse().unwrap());
    if !jar.0.is_empty() {
        req = req.insert_header((header::COOKIE, jar.header()));
    }
    if !form.is_empty() {
        req = req
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form.to_owned());
    }
    let reply = app.send_unchecked(req.to_request()).await;
    jar.take(&reply);
    reply
}

/// The CSRF token of the page's first form.
pub fn csrf_of(reply: &Reply) -> String {
    let start = reply
        .text
        .find("name=\"csrf\" value=\"")
        .expect("a CSRF field")
        + 19;
    let length = reply.text[start..].find('"').expect("the field's end");
    reply.text[start..start + length].to_owned()
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A form's body from its fields, in order, as a browser encodes it.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{n}={}", encoded(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Logs in through the page as a browser does; answers the reply to the form.
pub async fn log_in(app: &TestApp, jar: &mut Jar, email: &str, password: &str) -> Reply {
    let mut page = browse(app, jar, Method::GET, "/connexion", "").await;
    if page.status == StatusCode::SEE_OTHER {
        // Already logged in: the token of the logout form of any page.
        page = browse(app, jar, Method::GET, "/", "").await;
    }
    assert_eq!(page.status, StatusCode::OK);
    let form = format!(
        "csrf={}&email={}&password={}&suite=%2Fplateaux",
        csrf_of(&page),
        encoded(email),
        encoded(password)
    );
    browse(app, jar, Method::POST, "/connexion", &form).await
}

/// One browser on the pages of `app`: its cookies, and the CSRF token of the last page it
/// read (every page carries one: the logout form), which `post_form` sends.
pub struct WebSession<'a> {
    app: &'a TestApp,
    pub jar: Jar,
    csrf: Option<String>,
}

impl<'a> WebSession<'a> {
    /// A browser that has read nothing yet.
    pub fn new(app: &'a TestApp) -> Self {
        WebSession {
            app,
            jar: Jar::default(),
            csrf: None,
        }
    }

    /// A browser logged in through the login page as `email`.
    pub async fn logged_in(app: &'a TestApp, email: &str, password: &str) -> Self {
        let mut session = WebSession::new(app);
        let reply = session.log_in(email, password).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        session
    }

    /// Logs in through the login page; answers the reply to its form.
    pub async fn log_in(&mut self, email: &str, password: &str) -> Reply {
        let reply = log_in(self.app, &mut self.jar, email, password).await;
        self.remember(&reply);
        reply
    }

    fn remember(&mut self, reply: &Reply) {
        if reply.text.contains("name=\"csrf\" value=\"") {
            self.csrf = Some(csrf_of(reply));
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: &str) -> Reply {
        let reply = browse(self.app, &mut self.jar, method, path, body).await;
        self.remember(&reply);
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, "").await
    }

    /// Posts `body` as it is (a token of its own, or none).
    pub async fn post(&mut self, path: &str, body: &str) -> Reply {
        self.send(Method::POST, path, body).await
    }

    /// Posts a form's fields with the CSRF token of the last page read, as its form would.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf();
        let mut body = vec![("csrf", csrf.as_str())];
        body.extend_from_slice(fields);
        self.send(Method::POST, path, &form_body(&body)).await
    }

    /// The CSRF token of the last page read.
    pub fn csrf(&self) -> String {
        self.csrf
            .clone()
            .expect("a page read before posting its form")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name)
    }
}
