//! `caas-server`: run the CAAS reference server.

use std::process::ExitCode;

use caas_core::{Error, ErrorKind};
use caas_server::cli::{Cli, Command, LogFormat};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Exit code for bad configuration (as for bad flags).
const EXIT_CONFIG: u8 = 2;
/// Exit code for failures at run time (a backend down, a port taken).
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let code = if e.kind() == ErrorKind::InvalidInput {
                EXIT_CONFIG
            } else {
                EXIT_FAILURE
            };
            ExitCode::from(code)
        }
    }
}

async fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Serve(args) => {
            caas_server::serve(args.into_config()?, caas_server::shutdown::signal()).await
        }
        Command::Migrate(args) => {
            let applied = caas_server::migrate(&args).await?;
            if applied.is_empty() {
                println!("the database is up to date");
            } else {
                println!("applied migrations {applied:?}");
            }
            Ok(())
        }
        Command::Keys(caas_server::cli::KeysCommand::Init { out }) => {
            let key = caas_crypto::MasterKey::generate();
            match out {
                Some(path) => {
                    caas::master_key::create(&path, &key)?;
                    println!("wrote a new master key to {} (mode 0600)", path.display());
                }
                None => println!("CAAS_MASTER_KEY={}", key.to_text().as_str()),
            }
            Ok(())
        }
        Command::Audit(caas_server::cli::AuditCommand::Verify { tenant, key, serve }) => {
            let (lines, ok) =
                caas_server::audit_verify(serve.into_config()?, tenant.as_deref(), key.as_deref())
                    .await?;
            for line in &lines {
                println!("{line}");
            }
            if ok {
                Ok(())
            } else {
                Err(Error::new(
                    ErrorKind::Conflict,
                    "the audit log does not verify",
                ))
            }
        }
        Command::Privacy(caas_server::cli::PrivacyCommand::Retention(
            caas_server::cli::RetentionCommand::Run { tenant, serve },
        )) => {
            for line in caas_server::retention_run(serve.into_config()?, tenant.as_deref()).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Openapi => {
            let json = caas_server::openapi()
                .to_pretty_json()
                .map_err(|e| Error::internal(format!("cannot render the document: {e}")))?;
            println!("{json}");
            Ok(())
        }
        Command::ResetAdminKey(args) => {
            let key = caas_server::reset_admin_key(&args).await?;
            caas_server::print_admin_key(
                &key,
                "replaced the platform admin key (restart running servers)",
            );
            Ok(())
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("CAAS_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
