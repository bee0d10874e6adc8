//! `chuishao users …` administration: the same use cases as the console's user pages, run
//! as a named admin (`--by`), so the same scope rules apply and the audit chain names who did it.

use anyhow::{Result, anyhow};
use chuishao_app::App;
use chuishao_app::admin::users::{AdminError, Done};
use chuishao_domain::ids::UserId;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Reset a password (generated and printed once); the user must change it at next sign-in
    /// and every session of theirs ends.
    ResetPassword {
        username: String,
        /// The admin doing it (recorded in the audit chain).
        #[arg(long)]
        by: String,
    },
    /// Clear the login throttle (backoff or lockout) under a username.
    Unlock {
        username: String,
        #[arg(long)]
        by: String,
    },
    /// Disable a user: no sign-in, sessions and API tokens stop working.
    Disable {
        username: String,
        #[arg(long)]
        by: String,
    },
    /// Enable a disabled user.
    Enable {
        username: String,
        #[arg(long)]
        by: String,
    },
    /// Grant ROLE@ORG_CODE.
    Grant {
        username: String,
        role: String,
        #[arg(long)]
        by: String,
    },
    /// Remove ROLE@ORG_CODE.
    RemoveRole {
        username: String,
        role: String,
        #[arg(long)]
        by: String,
    },
    /// End every browser session of a user.
    RevokeSessions {
        username: String,
        #[arg(long)]
        by: String,
    },
    /// List a user's API tokens (id, label, created, revoked).
    Tokens {
        username: String,
        #[arg(long)]
        by: String,
    },
    /// Revoke one API token by its id (see `users tokens`).
    RevokeToken {
        username: String,
        token_id: i64,
        #[arg(long)]
        by: String,
    },
}

fn refused(e: AdminError) -> anyhow::Error {
    match e {
        AdminError::Refused(r) => anyhow!("refused: {}", r.code()),
        AdminError::App(e) => anyhow!("{e}"),
    }
}

fn split_role(role: &str) -> Result<(&str, &str)> {
    role.split_once('@').ok_or_else(|| anyhow!("role {role:?}: write ROLE@ORG_CODE"))
}

pub async fn run(app: &App, command: AdminCommand) -> Result<()> {
    use AdminCommand::*;
    let (by, username) = match &command {
        ResetPassword { by, username }
        | Unlock { by, username }
        | Disable { by, username }
        | Enable { by, username }
        | Grant { by, username, .. }
        | RemoveRole { by, username, .. }
        | RevokeSessions { by, username }
        | Tokens { by, username }
        | RevokeToken { by, username, .. } => (by.clone(), username.clone()),
    };
    let admin = app.admin().actor_for(&by).await.map_err(|e| anyhow!("--by {by}: {e}"))?;
    let user = app.admin().actor_for(&username).await.map_err(|e| anyhow!("{username}: {e}"))?.user_id;
    let done: Done = match command {
        ResetPassword { .. } => app.admin().admin_reset_password(&admin, user, None).await,
        Unlock { .. } => app.admin().admin_unlock(&admin, user).await,
        Disable { .. } => app.admin().admin_set_active(&admin, user, false).await,
        Enable { .. } => app.admin().admin_set_active(&admin, user, true).await,
        Grant { role, .. } => {
            let (role, org) = split_role(&role)?;
            app.admin().admin_grant_role(&admin, user, role, org).await
        }
        RemoveRole { role, .. } => {
            let (role, org) = split_role(&role)?;
            let org = app.admin().org_by_code(org).await?.ok_or_else(|| anyhow!("refused: unknown_org"))?;
            app.admin().admin_remove_role(&admin, user, role, org.id.0).await
        }
        RevokeSessions { .. } => app.admin().admin_revoke_sessions(&admin, user).await,
        Tokens { .. } => return print_tokens(app, &admin, user).await,
        RevokeToken { token_id, .. } => app.admin().admin_revoke_token(&admin, user, token_id).await,
    }
    .map_err(refused)?;
    println!("{username}: {}", done.what);
    if let Some(p) = done.password {
        println!("new password (shown once; the user must change it at next sign-in):");
        println!("{p}");
    }
    Ok(())
}

async fn print_tokens(app: &App, admin: &chuishao_domain::access::Actor, user: UserId) -> Result<()> {
    let detail = app.admin().admin_user(admin, user).await.map_err(refused)?;
    for t in detail.tokens {
        let revoked = t.revoked_at.map(chuishao_app::time::rfc3339).unwrap_or_else(|| "-".into());
        println!("{}\t{}\t{}\t{revoked}", t.id, t.label, chuishao_app::time::rfc3339(t.created_at));
    }
    Ok(())
}
