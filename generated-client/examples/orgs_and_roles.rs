//! Lists the organizations a user belongs to, and the user's roles in each.
//!
//! It signs in as a service account with the OAuth 2.0 client-credentials grant; the client
//! renews the token by itself. Run it with:
//!
//! ```sh
//! PHASETWO_BASE_URL=https://app.phasetwo.io/auth/realms \
//! PHASETWO_REALM=my-realm PHASETWO_CLIENT_ID=my-service PHASETWO_CLIENT_SECRET=... \
//! PHASETWO_USER_ID=... cargo run -p phasetwo-client --example orgs_and_roles
//! ```
//!
//! `PHASETWO_BASE_URL` may be left out for the hosted service.

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
    let user_id = env("PHASETWO_USER_ID")?;
    let credentials =
        ClientCredentials::keycloak(&base_url, &realm, env("PHASETWO_CLIENT_ID")?, env("PHASETWO_CLIENT_SECRET")?);
    let client = Client::builder().base_url(&base_url).client_credentials(credentials).build()?;

    for org in client.realm_users_user_id_orgs_get(&realm, &user_id).await? {
        let org_id = org.id.unwrap_or_default();
        println!("{} ({org_id})", org.display_name.or(org.name).unwrap_or_default());
        for role in client.realm_users_user_id_orgs_org_id_roles_get(&realm, &user_id, &org_id).await? {
            println!("  role: {}", role.name.unwrap_or_default());
        }
    }
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set the environment variable {name}"))
}
