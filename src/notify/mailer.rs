//! Sending one message over SMTP with lettre. Logs carry a message id and a masked recipient only.
use crate::config::{SmtpSettings, SmtpTls};
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("e-mail is not configured (smtp.host is empty)")]
    NotConfigured,
    #[error("invalid address")]
    Address,
    #[error("cannot read smtp.password_file: {0}")]
    PasswordFile(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
}

impl Mailer {
    pub fn from_settings(s: &SmtpSettings) -> Result<Self, MailError> {
        if s.host.trim().is_empty() {
            return Ok(Self { transport: None, from: None });
        }
        let mut builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| MailError::Smtp(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| MailError::Smtp(e.to_string()))?,
        }
        .port(s.port)
        .timeout(Some(Duration::from_secs(s.timeout_secs)));
        if !s.username.is_empty() {
            let password = std::fs::read_to_string(&s.password_file).map_err(|e| {
                MailError::PasswordFile(format!("{}: {}", s.password_file.display(), e.kind()))
            })?;
            builder = builder.credentials(Credentials::new(s.username.clone(), password.trim().to_owned()));
        }
        let from = s.from.parse::<Mailbox>().map_err(|_| MailError::Address)?;
        Ok(Self { transport: Some(builder.build()), from: Some(from) })
    }

    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let (Some(transport), Some(from)) = (&self.transport, &self.from) else {
            return Err(MailError::NotConfigured);
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to.parse::<Mailbox>().map_err(|_| MailError::Address)?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            // Thai text: base64 keeps every line short and the bytes exact.
            .header(ContentTransferEncoding::Base64)
            .body(body.to_owned())
            .map_err(|_| MailError::Address)?;
        transport.send(message).await.map_err(|e| MailError::Smtp(short(&e.to_string())))?;
        Ok(())
    }
}

/// Error text for the outbox row: the SMTP server's reason, cut short.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// `s***@example.org`: enough to tell mails apart in a log, not enough to be the address.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}
