//! Creates a magic link: a URL that signs a user in without a password.
//!
//! ```sh
//! PHASETWO_BASE_URL=https://app.phasetwo.io/auth/realms \
//! PHASETWO_REALM=my-realm PHASETWO_CLIENT_ID=my-service PHASETWO_CLIENT_SECRET=... \
//! PHASETWO_EMAIL=ada@example.com PHASETWO_LINK_CLIENT=my-app \
//! PHASETWO_REDIRECT_URI=https://my-app.example.com/ \
//! cargo run -p phasetwo-client --example magic_link
//! ```
//!
//! `PHASETWO_BASE_URL` may be left out for the hosted service.

use phasetwo_client::models::MagicLinkRepresentation;
use phasetwo_client::{Client, ClientCredentials};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("PHASETWO_BASE_URL").unwrap_or(phasetwo_client::DEFAULT_BASE_URL.to_owned());
    let realm = env("PHASETWO_REALM")?;
    let credentials =
        ClientCredentials::keycloak(&base_url, &realm, env("PHASETWO_CLIENT_ID")?, env("PHASETWO_CLIENT_SECRET")?);
    let client = Client::builder().base_url(&base_url).client_credentials(credentials).build()?;

    let link = MagicLinkRepresentation::new(
        env("PHASETWO_EMAIL")?,
        env("PHASETWO_LINK_CLIENT")?,
        env("PHASETWO_REDIRECT_URI")?,
    )
    .with_expiration_seconds(900)
    .with_send_email(false);
    // The spec documents no body for this answer; Phase Two sends the link in one, so read it raw.
    let created = client.create_magic_link(&realm, &link).send_raw().await?;
    println!("{}", created.text());
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set the environment variable {name}"))
}
